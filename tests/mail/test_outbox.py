"""The outbox: written with the change, sealed at rest, sent once, retried, failed, scrubbed."""

from __future__ import annotations

import asyncio
import email.utils
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from idp_extension.db import db
from idp_extension.mail import messages, outbox
from idp_extension.models import OutboxMessage, OutboxStatus

from ..conftest import both_databases
from ..mailparse import html_part, link_labelled, links_in_text, text_part
from ..smtp import CollectingHandler
from .conftest import make_account

LINK = "http://localhost/activation/secret-token-abcdef0123456789"


def write_notice(number: int = 1, **account_options) -> int:
    """A committed account change and its mail, as a service would write them; the message id."""
    account = make_account(number, **account_options)
    message = messages.to_account("notice", account, link=f"{LINK}-{number}")
    db.session.commit()
    return message.id


def row(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


@both_databases
def test_mail_exists_only_if_the_change_that_caused_it_is_committed(app, notice_template):
    with app.app_context():
        make_account(1, email_address="first@example.test")
        db.session.commit()
        # Same email again: the account change fails, and its mail must vanish with it.
        duplicate = make_account(2, email_address="first@example.test")
        messages.to_account("notice", duplicate, link=LINK)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalars(select(OutboxMessage)).all() == []

        message_id = write_notice(3)
        assert row(message_id).status == OutboxStatus.PENDING


def test_enqueue_never_commits(app, notice_template):
    with app.app_context():
        account = make_account(1)
        messages.to_account("notice", account, link=LINK)
        db.session.rollback()
        assert db.session.scalars(select(OutboxMessage)).all() == []


@both_databases
def test_body_sealed_at_rest_then_scrubbed_once_sent(app, smtp, notice_template):
    with app.app_context():
        message_id = write_notice(7)
        stored = row(message_id)
        assert "secret-token" not in stored.body_text
        assert "secret-token" not in (stored.body_html or "")

        assert outbox.deliver_due() == {"sent": 1, "retry": 0, "failed": 0}
        stored = row(message_id)
        assert stored.status == OutboxStatus.SENT
        assert stored.body_text == "" and stored.body_html is None

    [received] = smtp.messages
    assert link_labelled(received, "Ouvrir le lien") == f"{LINK}-7"
    assert links_in_text(received) == [f"{LINK}-7"]


def test_received_mail_has_fixed_message_id_date_and_both_parts(app, smtp, clock, notice_template):
    with app.app_context():
        message_id = write_notice(1)
        stored_id = row(message_id).message_id
        clock.advance(minutes=3)
        outbox.deliver_due()

    [received] = smtp.messages
    assert received["Message-ID"] == stored_id
    assert stored_id.endswith("@localhost>")
    assert len(received.get_all("Date")) == 1
    assert email.utils.parsedate_to_datetime(received["Date"]) == clock.now()
    assert received["To"] == "adherent1@example.test"
    assert received["From"] == "Espace Client <no-reply@mutuelle.test>"
    assert received["Subject"] == "Votre avis de test"
    assert "Bonjour Hélène," in text_part(received)
    assert "Bonjour Hélène," in html_part(received)


@both_databases
def test_permanent_refusal_fails_at_once_with_the_error_and_is_never_sent(
    app, smtp, clock, notice_template
):
    smtp.handler.refuse_with = "550 5.1.1 No such user here"
    with app.app_context():
        message_id = write_notice(1)
        assert outbox.deliver_due() == {"sent": 0, "retry": 0, "failed": 1}
        stored = row(message_id)
        assert stored.status == OutboxStatus.FAILED
        assert "550" in stored.last_error and "No such user" in stored.last_error
        assert stored.attempts == 1

        # It stays failed: the worker never tries it again by itself.
        smtp.handler.refuse_with = None
        clock.advance(days=2)
        assert outbox.deliver_due() == {"sent": 0, "retry": 0, "failed": 0}
    assert smtp.messages == []


def test_transient_refusal_is_retried_with_backoff_on_the_clock(app, smtp, clock, notice_template):
    smtp.handler.refuse_with = "421 4.3.2 Service shutting down, try later"
    with app.app_context():
        message_id = write_notice(1)
        assert outbox.deliver_due() == {"sent": 0, "retry": 1, "failed": 0}
        stored = row(message_id)
        assert stored.status == OutboxStatus.PENDING
        assert "421" in stored.last_error
        assert stored.next_attempt_at == clock.now() + timedelta(seconds=30)

        # Still refused at the first retry: the wait doubles.
        clock.advance(seconds=30)
        assert outbox.deliver_due() == {"sent": 0, "retry": 1, "failed": 0}
        assert row(message_id).next_attempt_at == clock.now() + timedelta(seconds=60)

        smtp.handler.refuse_with = None
        clock.advance(seconds=59)
        assert outbox.deliver_due() == {"sent": 0, "retry": 0, "failed": 0}
        clock.advance(seconds=1)
        assert outbox.deliver_due() == {"sent": 1, "retry": 0, "failed": 0}
        assert row(message_id).attempts == 3
    assert len(smtp.messages) == 1


def test_backoff_is_capped(app):
    with app.app_context():
        assert outbox.retry_delay(1) == timedelta(seconds=30)
        assert outbox.retry_delay(4) == timedelta(seconds=240)
        assert outbox.retry_delay(10_000) == timedelta(hours=6)


@pytest.fixture
def app_config(app_config):
    # Few attempts, and a short socket timeout against the closed port.
    return {**app_config, "IDP_MAIL_MAX_ATTEMPTS": 3, "IDP_MAIL_TIMEOUT": 5}


def test_an_unreachable_server_charges_no_message_and_fails_none(
    app, clock, own_smtp, notice_template
):
    from ..smtp import free_port

    port = free_port()
    app.config["MAIL_PORT"] = port
    app.extensions["mail"].port = port
    with app.app_context():
        message_id = write_notice(1)
        # Far more passes than IDP_MAIL_MAX_ATTEMPTS: the outage is not the message's fault.
        for _ in range(5):
            assert outbox.deliver_due() == {"sent": 0, "retry": 1, "failed": 0}
            clock.advance(hours=1)
        stored = row(message_id)
        assert stored.status == OutboxStatus.PENDING
        assert stored.attempts == 0
        assert "unavailable" in stored.last_error

        server = own_smtp(port=port)
        assert outbox.deliver_due() == {"sent": 1, "retry": 0, "failed": 0}
    assert [m["To"] for m in server.messages] == ["adherent1@example.test"]


def test_a_refused_message_fails_then_admin_retry_sends(app, smtp, notice_template):
    smtp.handler.refuse_with = "550 No such user here"
    with app.app_context():
        message_id = write_notice(1)
        assert outbox.deliver_due() == {"sent": 0, "retry": 0, "failed": 1}
        assert row(message_id).status == OutboxStatus.FAILED

        with pytest.raises(outbox.MessageNotFailedError):
            outbox.retry_failed(write_notice(2))
        with pytest.raises(outbox.OutboxMessageNotFoundError):
            outbox.retry_failed(999_999)

        outbox.retry_failed(message_id, actor_id=None)
        assert row(message_id).status == OutboxStatus.PENDING
        smtp.handler.refuse_with = None
        assert outbox.deliver_due() == {"sent": 2, "retry": 0, "failed": 0}
    assert sorted(m["To"] for m in smtp.messages) == [
        "adherent1@example.test",
        "adherent2@example.test",
    ]


def test_server_down_stops_the_pass_without_spending_every_message(app, clock, notice_template):
    from ..smtp import free_port

    app.extensions["mail"].port = free_port()
    with app.app_context():
        ids = [write_notice(number) for number in range(1, 6)]
        assert outbox.deliver_due() == {"sent": 0, "retry": 1, "failed": 0}
        assert [row(i).attempts for i in ids] == [0, 0, 0, 0, 0]
        assert "unavailable" in row(ids[0]).last_error


def test_a_key_change_fails_the_message_instead_of_sending_garbage(app, smtp, notice_template):
    with app.app_context():
        message_id = write_notice(1)
        app.config["SECRET_KEY"] = "another-key-" + "y" * 32
        assert outbox.deliver_due() == {"sent": 0, "retry": 0, "failed": 1}
        assert "IDP_SECRET_KEY" in row(message_id).last_error
    assert smtp.messages == []


def test_line_breaks_in_headers_are_refused_when_written(app):
    with app.app_context(), pytest.raises(ValueError):
        outbox.enqueue("notice", "a@example.test\r\nBcc: b@example.test", "s", "t", None)


@both_databases
def test_a_claim_takes_only_what_it_asked_for(app, clock, notice_template):
    with app.app_context():
        for number in range(25):
            write_notice(number)
        claimed = outbox.claim_due(limit=10)
        assert len(claimed) == 10
        assert outbox.counts_by_status()["sending"] == 10
        # Another sender sees only the rest.
        assert {m.id for m in outbox.claim_due(limit=100)}.isdisjoint(m.id for m in claimed)
        assert outbox.counts_by_status()["pending"] == 0

        # Given back untried, a message keeps its retry budget.
        outbox.release(claimed)
        assert {row(m.id).attempts for m in claimed} == {0}
        assert outbox.counts_by_status()["pending"] == 10


@both_databases
def test_a_dead_senders_claim_is_taken_over_when_its_lease_runs_out(
    app, smtp, clock, notice_template
):
    with app.app_context():
        message_id = write_notice(1)
        [claimed] = outbox.claim_due()  # ... and this sender dies here
        assert outbox.deliver_due() == {"sent": 0, "retry": 0, "failed": 0}
        clock.advance(seconds=299)
        assert outbox.deliver_due() == {"sent": 0, "retry": 0, "failed": 0}
        clock.advance(seconds=1)
        assert outbox.deliver_due() == {"sent": 1, "retry": 0, "failed": 0}
        assert row(message_id).attempts == 2
    assert len(smtp.messages) == 1


class ClosingHandler(CollectingHandler):
    """A relay that closes the connection after each message, as many do after a few."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        reply = await super().handle_DATA(server, session, envelope)
        asyncio.get_running_loop().call_soon(server.transport.close)
        return reply


def test_a_relay_closing_the_connection_between_messages_costs_no_attempt(
    app, own_smtp, notice_template
):
    server = own_smtp(ClosingHandler())
    app.extensions["mail"].port = server.port
    with app.app_context():
        ids = [write_notice(number) for number in range(3)]
        assert outbox.deliver_due() == {"sent": 3, "retry": 0, "failed": 0}
        assert {row(i).attempts for i in ids} == {1}
    assert len(server.messages) == 3
