"""Phone verification over HTTP: the code reaches the gateway as JSON with the bearer token,
the member types it, the claim says so; brute force, expiry, postponing."""

from sqlalchemy import select

from idp_extension.db import db
from idp_extension.models import Account, AuditEvent, OutboxMessage, PhoneCode

from ..account.helpers import PASSWORD, finished, login, make_account
from ..conftest import page_text
from ..enrollment.test_journey import activation_path, set_password, sign_up_and_receive
from .helpers import PHONE, press


def type_code(client, code):
    return press(client, "/telephone/verification", "/telephone/verification", code=code)


def audit_events(app, account_id):
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent.event).where(AuditEvent.account_id == account_id)
        ).all()


def phone_verified(app, account_id) -> bool:
    with app.app_context():
        return db.session.get(Account, account_id).phone_verified


def test_first_password_sends_a_code_and_the_member_verifies_the_phone(
    app, client, members, smtp, sms_gateway
):
    path = activation_path(sign_up_and_receive(client, smtp))
    done = finished(set_password(client, path))
    assert done.headers["Location"] == "/telephone/verification"

    code = sms_gateway.wait_for_code(PHONE)
    assert sms_gateway.received[0]["to"] == PHONE
    assert sms_gateway.authorizations == [f"Bearer {sms_gateway.token}"]
    text = sms_gateway.received[0]["text"]
    assert text.startswith("Mutuelle Exemple")
    assert "10 minutes" in text

    page = page_text(client.get("/telephone/verification"))
    for words in ("Code reçu par SMS", "Valider", "Renvoyer un code", "Plus tard"):
        assert words in page
    assert "+33 •• •• •• 78" in page

    wrong = type_code(client, "000000" if code != "000000" else "111111")
    assert wrong.status_code == 422
    assert "Ce code n'est pas le bon. Il vous reste 4 essai(s)." in page_text(wrong)

    right = type_code(client, code)
    assert right.status_code == 302 and right.headers["Location"] == "/"
    with app.app_context():
        account = db.session.scalars(select(Account)).one()
        account_id = account.id
        # Only a keyed digest is kept, never the code.
        stored = db.session.scalars(select(PhoneCode.digest)).all()
        assert stored and all(code not in digest for digest in stored)
    assert phone_verified(app, account_id)
    events = audit_events(app, account_id)
    assert {"phone_code_sent", "phone_code_refused", "phone_verified"} <= set(events)


def test_brute_force_of_a_code_is_stopped_after_five_tries(app, client, clock, sms_gateway):
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    press(client, "/securite", "/telephone/verification/envoyer")
    code = sms_gateway.wait_for_code(PHONE)
    wrong = [f"{n:06d}" for n in range(1000) if f"{n:06d}" != code][:5]

    for guess in wrong[:4]:
        assert type_code(client, guess).status_code == 422
    fifth = type_code(client, wrong[4])
    assert "Trop d'essais avec ce code. Demandez un nouveau code." in page_text(fifth)
    # The right code no longer helps: this code is spent.
    after = type_code(client, code)
    assert after.status_code == 422
    assert "Demandez un nouveau code" in page_text(after)
    assert not phone_verified(app, 1)

    press(client, "/telephone/verification", "/telephone/verification/envoyer")
    fresh = sms_gateway.wait_for_code(PHONE, count=2)
    assert type_code(client, fresh).headers["Location"] == "/"
    assert phone_verified(app, 1)


def test_a_code_lives_ten_minutes_and_a_new_one_voids_the_old(app, client, clock, sms_gateway):
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    press(client, "/securite", "/telephone/verification/envoyer")
    first = sms_gateway.wait_for_code(PHONE)
    clock.advance(minutes=10, seconds=1)
    expired = type_code(client, first)
    assert "Ce code a expiré. Demandez un nouveau code." in page_text(expired)

    press(client, "/telephone/verification", "/telephone/verification/envoyer")
    second = sms_gateway.wait_for_code(PHONE, count=2)
    press(client, "/telephone/verification", "/telephone/verification/envoyer")
    third = sms_gateway.wait_for_code(PHONE, count=3)
    if second != third:
        assert type_code(client, second).status_code == 422  # voided by the third
    assert type_code(client, third).headers["Location"] == "/"


def test_the_member_may_postpone_and_verify_later_from_the_security_page(
    app, client, members, smtp, sms_gateway
):
    path = activation_path(sign_up_and_receive(client, smtp))
    finished(set_password(client, path))
    sms_gateway.wait_for_code(PHONE)
    later = press(client, "/telephone/verification", "/telephone/verification/plus-tard")
    assert later.headers["Location"] == "/"
    home = page_text(client.get("/"))
    assert "n'est pas encore vérifié" in home
    security = page_text(client.get("/securite"))
    assert "Vérifier mon numéro" in security

    sent = press(client, "/securite", "/telephone/verification/envoyer")
    assert sent.headers["Location"] == "/telephone/verification"
    code = sms_gateway.wait_for_code(PHONE, count=2)
    assert type_code(client, code).headers["Location"] == "/"
    assert "est vérifié" in page_text(client.get("/securite"))
    assert "phone_verification_postponed" in audit_events(app, 1)


def test_sms_sends_are_limited_per_account(app_config, clock, tmp_path, sms_gateway):
    from idp_extension import create_app

    app = create_app(
        {
            **app_config,
            "IDP_RATELIMIT_ENABLED": True,
            "IDP_RATELIMIT_STORAGE_URL": "memory://",
            "IDP_SMS_LIMIT_PER_ACCOUNT": "3/hour",
        },
        clock=clock,
    )
    with app.app_context():
        db.create_all()
    make_account(app, clock)
    client = app.test_client()
    login(client, "helene@example.org", PASSWORD)
    for count in range(1, 4):
        press(client, "/securite", "/telephone/verification/envoyer")
        sms_gateway.wait_for_code(PHONE, count=count)
    refused = press(client, "/securite", "/telephone/verification/envoyer")
    assert refused.status_code == 302
    assert "Trop de codes demandés" in page_text(client.get("/telephone/verification"))
    assert len(sms_gateway.messages_to(PHONE)) == 3
    with app.app_context():
        db.session.remove()
        db.drop_all()


def test_opening_the_page_sends_nothing_the_button_does(app, client, clock, sms_gateway):
    """Prefetches, link scanners and reloads GET pages: a GET never sends a paid SMS."""
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    for _reload in range(3):
        page = finished(client.get("/telephone/verification"))
        assert page.status_code == 200
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage)).all() == []
    assert sms_gateway.received == []
    text = page_text(page)
    assert "Envoyer un code" in text and "Plus tard" in text
    assert "Code reçu par SMS" not in text  # no field for a code that was never sent

    sent = press(client, "/telephone/verification", "/telephone/verification/envoyer")
    assert sent.headers["Location"] == "/telephone/verification"
    code = sms_gateway.wait_for_code(PHONE)
    text = page_text(client.get("/telephone/verification"))
    for words in ("Code reçu par SMS", "Valider", "Renvoyer un code", "Plus tard"):
        assert words in text
    assert type_code(client, code).headers["Location"] == "/"
