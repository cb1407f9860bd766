"""SMS leave through the outbox: a gateway outage loses no code, and holds no mail back."""

from datetime import timedelta

from sqlalchemy import func, select

from idp_extension.db import db
from idp_extension.mail.worker import MailWorker
from idp_extension.models import Account, OutboxMessage, OutboxStatus

from ..account.helpers import PASSWORD, login, make_account
from .helpers import PHONE, press


def outbox(app, channel):
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == channel)
        ).all()
        db.session.expunge_all()
        return rows


def test_a_gateway_outage_loses_no_code_request(app, client, clock, smtp, sms_gateway):
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    sms_gateway.stop()

    sent = press(client, "/securite", "/telephone/verification/envoyer")
    assert sent.headers["Location"] == "/telephone/verification"
    (waiting,) = outbox(app, "sms")
    assert waiting.status == OutboxStatus.PENDING
    assert waiting.recipient == PHONE and "unreachable" in waiting.last_error
    assert waiting.attempts == 0  # an outage charges no attempt

    # Meanwhile mail still leaves: a reset link through the same worker pass.
    other = app.test_client()
    press(other, "/mot-de-passe-oublie", "/mot-de-passe-oublie", email="helene@example.org")
    MailWorker(app, interval=0.1).run_once()
    assert smtp.messages_to("helene@example.org")
    assert outbox(app, "sms")[0].status == OutboxStatus.PENDING

    sms_gateway.start()  # back on the same address
    totals = MailWorker(app, interval=0.1).run_once()
    assert totals["sent"] == 1
    code = sms_gateway.wait_for_code(PHONE)
    (delivered,) = outbox(app, "sms")
    assert delivered.status == OutboxStatus.SENT
    assert delivered.body_text == ""  # the code does not linger once sent

    verified = press(client, "/telephone/verification", "/telephone/verification", code=code)
    assert verified.headers["Location"] == "/"
    with app.app_context():
        assert db.session.scalars(select(Account.phone_verified)).one()


def test_purge_deletes_sms_codes_expired_more_than_keep_days_ago(app, client, clock, sms_gateway):
    from idp_extension.maintenance import purge_expired
    from idp_extension.models import PhoneCode

    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    press(client, "/securite", "/telephone/verification/envoyer")
    sms_gateway.wait_for_code(PHONE)
    with app.app_context():
        assert purge_expired(clock.now() + timedelta(days=7))["links"] == 0
        assert db.session.scalar(select(func.count()).select_from(PhoneCode)) == 1
        assert purge_expired(clock.now() + timedelta(days=7, minutes=11))["links"] == 1
        assert db.session.scalar(select(func.count()).select_from(PhoneCode)) == 0


def test_the_gateway_answers_are_sorted(app, client, clock, sms_gateway):
    """503: the gateway is overloaded, the SMS waits with its budget whole; 400: this SMS was
    refused for good (a number the gateway rejects), it fails at once."""
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    sms_gateway.status = 503
    press(client, "/securite", "/telephone/verification/envoyer")
    (waiting,) = outbox(app, "sms")
    assert waiting.status == OutboxStatus.PENDING and waiting.attempts == 0
    assert "503" in waiting.last_error and sms_gateway.token not in waiting.last_error

    sms_gateway.status = 400
    MailWorker(app, interval=0.1).run_once()
    (refused,) = outbox(app, "sms")
    assert refused.status == OutboxStatus.FAILED and "400" in refused.last_error
