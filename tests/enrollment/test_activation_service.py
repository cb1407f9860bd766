"""Activation links and the first password, through the service (time from the injected clock)."""

from datetime import date

import pytest
from sqlalchemy import select

from idp_extension.db import db
from idp_extension.enrollment import service
from idp_extension.mail.outbox import deliver_due
from idp_extension.models import Account, AuditEvent, OneTimeToken, OutboxMessage
from idp_extension.security import tokens

from ..conftest import configure
from ..mailparse import link_labelled, text_part

GOOD_PASSWORD = "Printemps#2026"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def pending(ctx, members, smtp):
    """Zoé Cœur has signed up: her account is pending and her activation mail went out."""
    result = service.enroll(
        first_name="Zoé",
        last_name="Cœur",
        birth_date=date(1992, 2, 29),
        member_number="87654321",
        email="zoe@example.org",
        phone="+33612345678",
    )
    return result.account.id


@pytest.fixture
def mailbox(smtp):
    """The mails the real SMTP server received, newest last."""
    return smtp


def issued_token(account_id: int, mailbox) -> str:
    """Issue a fresh link the way the service does, and read its token from the mail."""
    outbox_id = service.resend_activation(account_id)
    deliver_due(ids=[outbox_id])
    return token_of(mailbox.messages[-1])


def token_of(message) -> str:
    return link_labelled(message, "Activer mon compte").rsplit("/", 1)[1]


def test_only_the_digest_of_the_token_is_stored(pending, mailbox):
    token = issued_token(pending, mailbox)
    stored = db.session.scalars(select(OneTimeToken.digest)).all()
    assert tokens.digest(token) in stored
    assert token not in stored
    outbox = db.session.scalars(select(OutboxMessage)).all()
    assert all(token not in (m.body_text or "") + (m.body_html or "") for m in outbox)


def test_link_is_valid_until_24_hours(pending, clock, mailbox):
    token = issued_token(pending, mailbox)
    clock.advance(hours=23, minutes=59)
    assert service.check_activation(token).id == pending
    clock.advance(minutes=1)
    assert service.check_activation(token).id == pending  # exactly 24 h: still valid


def test_link_expires_after_24_hours_and_one_second(pending, clock, mailbox):
    token = issued_token(pending, mailbox)
    clock.advance(hours=24, seconds=1)
    with pytest.raises(service.ActivationExpiredError):
        service.check_activation(token)
    with pytest.raises(service.ActivationExpiredError):
        service.activate(token, GOOD_PASSWORD)
    assert db.session.get(Account, pending).status == "pending"


def test_lifetime_is_configurable(app, pending, clock, mailbox):
    configure(app, IDP_ACTIVATION_TTL=3600)
    token = issued_token(pending, mailbox)
    assert "valable 1 heure" in text_part(mailbox.messages[-1])
    clock.advance(hours=1, seconds=1)
    with pytest.raises(service.ActivationExpiredError):
        service.check_activation(token)


def test_a_new_link_voids_the_previous_one(pending, mailbox):
    first = issued_token(pending, mailbox)
    second = issued_token(pending, mailbox)
    with pytest.raises(service.ActivationInvalidError):
        service.check_activation(first)
    assert service.activate(second, GOOD_PASSWORD).is_active


def test_checking_does_not_use_the_link(pending, mailbox):
    token = issued_token(pending, mailbox)
    for _ in range(3):
        service.check_activation(token)
    assert service.activate(token, GOOD_PASSWORD).is_active


def test_activation_sets_password_and_verifies_email_once(app, pending, clock, mailbox):
    token = issued_token(pending, mailbox)
    account = service.activate(token, GOOD_PASSWORD)
    assert account.status == "active" and account.email_verified
    assert account.activated_at == clock.now() and account.password_changed_at == clock.now()
    assert account.password_hash.startswith("$argon2id$")
    assert app.extensions["idp"].passwords.verify(account.password_hash, GOOD_PASSWORD)
    used = db.session.scalars(
        select(OneTimeToken).where(OneTimeToken.digest == tokens.digest(token))
    ).one()
    assert used.used_at == clock.now()
    with pytest.raises(service.AccountAlreadyActiveError):
        service.activate(token, "Autre#Passe1")
    events = db.session.scalars(select(AuditEvent.event).order_by(AuditEvent.id)).all()
    assert events[0] == "activation_link_issued" and "signup" in events
    assert events[-1] == "activation"
    details = db.session.scalars(select(AuditEvent.details)).all()
    assert all(GOOD_PASSWORD not in str(d) and token not in str(d) for d in details)


def test_unknown_token_is_invalid(pending):
    with pytest.raises(service.ActivationInvalidError):
        service.check_activation("not-a-real-token")
    with pytest.raises(service.ActivationInvalidError):
        service.activate("x" * 5000, GOOD_PASSWORD)


@pytest.mark.parametrize(
    ("password", "broken"),
    [
        ("Court#1", ["length"]),
        ("MAJUSCULES#2026", ["lower"]),
        ("minuscules#2026", ["upper"]),
        ("SansChiffre#", ["digit"]),
        ("SansSpecial2026", ["special"]),
        ("Espace 2026?", ["special"]),  # ? and space are not among ! @ # * $ % &
        ("a", ["length", "upper", "digit", "special"]),
        ("Aa1!" + "x" * 125, ["length"]),  # 129 characters
    ],
)
def test_each_password_rule_is_enforced(pending, password, broken, mailbox):
    token = issued_token(pending, mailbox)
    with pytest.raises(service.PasswordPolicyError) as refused:
        service.activate(token, password)
    assert [rule.code for rule in refused.value.unmet] == broken
    account = db.session.get(Account, pending)
    assert account.status == "pending" and account.password_hash is None
    assert service.check_activation(token).id == pending  # the link still works


@pytest.mark.parametrize("password", ["Abcdef1!", "Zz9@Zz9@", "Mot*De$Passe%1&"])
def test_passwords_meeting_every_rule_are_accepted(pending, password, mailbox):
    assert service.activate(issued_token(pending, mailbox), password).is_active


def test_resend_for_an_active_account_is_refused(pending, mailbox):
    service.activate(issued_token(pending, mailbox), GOOD_PASSWORD)
    with pytest.raises(service.AccountAlreadyActiveError):
        service.resend_activation(pending)
    with pytest.raises(service.ActivationInvalidError):
        service.resend_activation(999_999)


def test_renew_from_an_expired_link_sends_a_working_one(pending, clock, mailbox):
    expired = issued_token(pending, mailbox)
    clock.advance(hours=25)
    account, outbox_id = service.renew_activation(expired)
    assert account.id == pending
    deliver_due(ids=[outbox_id])
    fresh = token_of(mailbox.messages[-1])
    with pytest.raises(service.ActivationInvalidError):
        service.renew_activation(expired)  # the expired link was voided by the new one
    assert service.activate(fresh, GOOD_PASSWORD).is_active


def test_links_are_built_outside_any_request(app, members, mailbox):
    """Commands and workers have no request (and often no SERVER_NAME): links use the issuer."""
    configure(app, SERVER_NAME=None, IDP_ISSUER="https://compte.mutuelle.example")
    with app.app_context():
        result = service.enroll(
            first_name="Zoé",
            last_name="Cœur",
            birth_date=date(1992, 2, 29),
            member_number="87654321",
            email="zoe@example.org",
            phone="+33612345678",
        )
        token = issued_token(result.account.id, mailbox)
    link = link_labelled(mailbox.messages[-1], "Activer mon compte")
    assert link == f"https://compte.mutuelle.example/activation/{token}"
