"""The member journey with every logger at DEBUG: no password, link token or session cookie in
the logs, and none in clear in the database (DESIGN section 5)."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

from sqlalchemy import text

from idp_extension.db import db

from ..conftest import deliver_mail
from ..enrollment.conftest import valid_form
from ..mailparse import link_labelled

FIRST, SECOND, THIRD = "Printemps#2026", "Ete#2026tres", "Automne#2026x"
WRONG = "Mauvais#Essai9"


def wait_for_mail(smtp, address: str, count: int):
    """The mail goes out right after the response; give the server thread a moment."""
    for _ in range(200):
        received = smtp.messages_to(address)
        if len(received) >= count:
            return received[count - 1]
        time.sleep(0.02)
    raise AssertionError(f"no mail number {count} to {address}")


def link_token(message, label: str) -> str:
    return urlsplit(link_labelled(message, label)).path.rsplit("/", 1)[1]


@contextmanager
def every_logger_at_debug():
    """Root and every logger created so far at DEBUG (SQLAlchemy sets its own to WARNING)."""
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def every_stored_value(app) -> str:
    with app.app_context():
        rows = []
        for table in ("accounts", "one_time_tokens", "audit_events", "outbox_messages"):
            rows += [repr(tuple(row)) for row in db.session.execute(text(f"SELECT * FROM {table}"))]  # noqa: S608
        db.session.rollback()
    return "\n".join(rows)


def test_the_member_journey_logs_and_stores_no_secret(app, members, smtp, http_browser, caplog):
    email = "helene@example.org"
    browser = http_browser
    cookies: set[str] = set()
    with caplog.at_level(logging.DEBUG), every_logger_at_debug():
        assert browser.submit("/inscription", valid_form()).status_code == 302
        activation = link_token(wait_for_mail(smtp, email, 1), "Activer mon compte")
        assert browser.get(f"/activation/{activation}").status_code == 200
        done = browser.submit(
            f"/activation/{activation}", {"password": FIRST, "password_confirm": FIRST}
        )
        assert done.status_code == 302
        cookies.update(browser.cookies)
        assert browser.get("/").status_code == 200
        assert browser.submit("/deconnexion", {}).status_code == 302

        assert browser.submit("/connexion", {"email": email, "password": WRONG}).status_code == 422
        assert browser.submit("/connexion", {"email": email, "password": FIRST}).status_code == 302
        cookies.update(browser.cookies)
        changed = browser.submit(
            "/mot-de-passe", {"current": FIRST, "password": SECOND, "confirm": SECOND}, page="/"
        )
        assert changed.status_code == 302
        cookies.update(browser.cookies)

        other = type(browser)(browser.base)
        assert other.submit("/mot-de-passe-oublie", {"email": email}).status_code == 200
        deliver_mail(app)  # the worker acts on the request (logging at DEBUG too)
        reset = link_token(wait_for_mail(smtp, email, 2), "Réinitialiser mon mot de passe")
        assert other.get(f"/mot-de-passe-oublie/{reset}?lang=en").status_code == 200
        assert (
            other.submit(
                f"/mot-de-passe-oublie/{reset}", {"password": THIRD, "confirm": THIRD}
            ).status_code
            == 302
        )
        cookies.update(other.cookies)

    # The provider's own records: aiosmtpd ("mail.log") and urllib3 are the test's mailbox and
    # the member's browser.
    records = [
        record for record in caplog.records if not record.name.startswith(("mail.log", "urllib3"))
    ]
    logged = "\n".join(
        [record.getMessage() for record in records]
        + [
            logging.Formatter().formatException(record.exc_info)
            for record in records
            if record.exc_info
        ]
    )
    # The request lines and the SQL statements were captured.
    assert "/activation/" in logged and "/mot-de-passe-oublie/" in logged
    assert "UPDATE one_time_tokens" in logged
    secrets = [FIRST, SECOND, THIRD, WRONG, activation, reset, *cookies]
    assert all(secret and len(secret) >= 8 for secret in secrets)
    for secret in secrets:
        assert secret not in logged

    stored = every_stored_value(app)
    assert email in stored  # the dump did read the rows
    for secret in secrets:
        assert secret not in stored
