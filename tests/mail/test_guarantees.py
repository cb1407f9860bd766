"""Outbox guarantees: one way out, one send per message even when a request and a worker race,
the member's language, the demo mailbox, and start-up checks of the mail settings."""

from __future__ import annotations

import ast
import threading
from collections import Counter
from pathlib import Path

import jinja2
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from sqlalchemy import select

from idp_extension import create_app
from idp_extension.config import ConfigurationError
from idp_extension.db import db
from idp_extension.mail import messages, outbox
from idp_extension.mail.sender import MailboxTransport
from idp_extension.models import AuditEvent, OutboxMessage, OutboxStatus
from idp_extension.security.sealing import unseal

from ..conftest import both_databases, configure
from .conftest import TEMPLATES, make_account, message_ids

PACKAGE = Path(__file__).resolve().parents[2] / "idp_extension"
SMTP_MODULES = {"smtplib", "flask_mail"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_sender_module_talks_smtp():
    talking = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if imported_modules(path) & SMTP_MODULES
    )
    assert talking == ["mail/sender.py"]


def write_notices(count: int) -> list[int]:
    written = [
        messages.to_account("notice", make_account(n), link=f"http://localhost/l/{n}")
        for n in range(count)
    ]
    db.session.commit()
    return [message.id for message in written]


@both_databases
def test_a_request_and_a_worker_sending_at_once_never_send_a_message_twice(
    app, smtp, notice_template
):
    with app.app_context():
        ids = write_notices(60)
    totals = Counter()
    errors = []
    start = threading.Barrier(3)

    def run(**options):
        try:
            with app.app_context():
                start.wait()
                totals.update(outbox.deliver_due(**options))
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    senders = [
        threading.Thread(target=run, kwargs={"ids": ids}),  # after a request
        threading.Thread(target=run),  # a worker
        threading.Thread(target=run),
    ]  # another worker
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=60)
    assert errors == []
    assert totals == Counter({"sent": 60, "retry": 0, "failed": 0})
    assert sorted(Counter(message_ids(smtp)).values()) == [1] * 60


def test_send_after_response_tries_only_the_requests_own_messages(
    app, client, smtp, notice_template
):
    with app.app_context():
        [waiting] = write_notices(1)

    def sign_up_like_view():
        account = make_account(99, email_address="own@example.org")
        message = messages.to_account("notice", account, link="http://localhost/l/own")
        db.session.commit()
        return outbox.send_after_response("page", [message.id])

    app.add_url_rule("/test-write-mail", view_func=sign_up_like_view)
    response = client.get("/test-write-mail")
    assert response.status_code == 200
    assert smtp.messages == []  # nothing leaves before the response is done
    response.close()

    assert [m["To"] for m in smtp.messages] == ["own@example.org"]
    with app.app_context():
        assert db.session.get(OutboxMessage, waiting).status == OutboxStatus.PENDING


def test_send_after_response_can_be_switched_off_for_a_worker_only_setup(
    app, client, smtp, notice_template
):
    configure(app, IDP_MAIL_SEND_AFTER_REQUEST=False)

    def view():
        message = messages.to_account("notice", make_account(1), link="http://localhost/l/1")
        db.session.commit()
        return outbox.send_after_response("page", [message.id])

    app.add_url_rule("/test-write-mail", view_func=view)
    client.get("/test-write-mail").close()
    assert smtp.messages == []


@pytest.fixture
def english_catalogue(tmp_path):
    """A small English catalogue for the test mail, as the project's will be for real mail."""
    catalogue = Catalog(locale="en")
    catalogue.add("Votre avis de test", "Your test notice")
    catalogue.add("Bonjour %(name)s,", "Hello %(name)s,")
    catalogue.add("Ouvrir le lien", "Open the link")
    folder = tmp_path / "translations" / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as handle:
        write_mo(handle, catalogue)
    return tmp_path / "translations"


@pytest.fixture
def app_config(app_config, english_catalogue):
    project = PACKAGE / "translations"
    return {**app_config, "BABEL_TRANSLATION_DIRECTORIES": f"{english_catalogue};{project}"}


def test_mail_follows_the_members_language(app, smtp, notice_template):
    from ..mailparse import link_labelled, text_part

    with app.app_context():
        messages.to_account("notice", make_account(1, locale="en"), link="http://localhost/l/1")
        messages.to_account("notice", make_account(2, locale="fr"), link="http://localhost/l/2")
        # A language the provider does not offer falls back to the default (French).
        messages.to_account("notice", make_account(3, locale="xx"), link="http://localhost/l/3")
        db.session.commit()
        assert [
            row.locale
            for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ] == ["en", "fr", "fr"]
        outbox.deliver_due()

    by_recipient = {m["To"]: m for m in smtp.messages}
    english = by_recipient["adherent1@example.test"]
    assert english["Subject"] == "Your test notice"
    assert "Hello Hélène," in text_part(english)
    assert link_labelled(english, "Open the link") == "http://localhost/l/1"
    for french in (by_recipient["adherent2@example.test"], by_recipient["adherent3@example.test"]):
        assert french["Subject"] == "Votre avis de test"
        assert "Bonjour Hélène," in text_part(french)


def test_demo_mailbox_transport_keeps_bodies_for_the_mailbox_page(app_config, clock):
    demo = create_app(app_config, clock=clock, mailer=MailboxTransport())
    demo.jinja_loader.loaders.append(jinja2.FileSystemLoader(str(TEMPLATES)))
    with demo.app_context():
        db.create_all()
        [message_id] = write_notices(1)
        assert outbox.deliver_due() == {"sent": 1, "retry": 0, "failed": 0}
        kept = db.session.get(OutboxMessage, message_id)
        assert kept.status == OutboxStatus.SENT
        assert "http://localhost/l/0" in unseal(demo.config["SECRET_KEY"], kept.body_html)
        db.session.remove()
        db.drop_all()


def test_admin_retry_is_audited(app, smtp, notice_template):
    smtp.handler.refuse_with = "554 5.7.1 Rejected"
    with app.app_context():
        [message_id] = write_notices(1)
        outbox.deliver_due()
        outbox.retry_failed(message_id)
        assert db.session.scalars(select(AuditEvent.event)).all() == ["mail_retry"]
        assert outbox.counts_by_status()["pending"] == 1


@pytest.mark.parametrize(
    "settings",
    [
        {"IDP_MAIL_RETRY_BASE_SECONDS": 0},
        {"IDP_MAIL_MAX_ATTEMPTS": 0},
        {"IDP_MAIL_TIMEOUT": 60, "IDP_MAIL_LEASE_SECONDS": 120},
        {"IDP_MAIL_USE_TLS": True, "IDP_MAIL_USE_SSL": True},
    ],
)
def test_unusable_mail_settings_stop_the_start(app_config, settings):
    with pytest.raises(ConfigurationError):
        create_app({**app_config, **settings})


def test_send_mail_refuses_a_zero_batch(app):
    result = app.test_cli_runner().invoke(args=["idp", "send-mail", "--batch", "0"])
    assert result.exit_code == 2
    assert "--batch" in result.output
