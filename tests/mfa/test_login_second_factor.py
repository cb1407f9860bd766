"""The second step of a sign-in over HTTP: SMS codes, an authenticator app set up from the
security page (QR code, key, confirmation), recovery codes shown once and single use, the
IDP_MFA policy, and admins held to a second factor."""

import re
from xml.etree import ElementTree

import pyotp
from sqlalchemy import select

from idp_extension.db import db
from idp_extension.models import (
    Account,
    AuditEvent,
    OutboxChannel,
    OutboxMessage,
    RecoveryCode,
    SsoSession,
    TotpAuthenticator,
)

from ..account.helpers import PASSWORD, finished, login, make_account
from ..conftest import configure, csrf_token, page_text
from .helpers import PHONE, press

EMAIL = "helene@example.org"


def second_step(client, code, method=None):
    path = "/connexion/verification" + (f"?methode={method}" if method else "")
    return press(client, path, path, code=code)


def sign_out(client):
    press(client, "/", "/deconnexion")


def shown_codes(response) -> list[str]:
    return re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", page_text(response))


def session_amr(app):
    with app.app_context():
        return db.session.scalars(select(SsoSession.amr).order_by(SsoSession.id.desc())).first()


def events(app, name):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.event == name)).all()


def set_up_app(client, clock):
    """From the security page: start, read the key, confirm with a code; the recovery codes."""
    started = press(client, "/securite", "/securite/application")
    assert started.headers["Location"] == "/securite/application/configurer"
    page = client.get("/securite/application/configurer")
    html = page_text(page)
    assert "Clé secrète" in html and "Code à 6 chiffres" in html
    assert 'src="/securite/application/qr.svg"' in html
    key = re.search(r'<code id="secret-key">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    totp = pyotp.TOTP(key)
    wrong = finished(
        client.post(
            "/securite/application/configurer",
            data={"csrf_token": csrf_token(html), "code": "12345"},
        )
    )
    assert wrong.status_code == 422 and "6 chiffres" in page_text(wrong)
    done = press(
        client,
        "/securite/application/configurer",
        "/securite/application/configurer",
        code=totp.at(clock.now()),
    )
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    return totp, shown_codes(done)


def test_sms_as_second_factor_end_to_end(app, client, clock, sms_gateway):
    account_id = make_account(app, clock)
    with app.app_context():
        db.session.get(Account, account_id).phone_verified = True
        db.session.commit()
    login(client, EMAIL, PASSWORD)
    enabled = press(client, "/securite", "/securite/sms")
    assert len(shown_codes(enabled)) == 10
    sign_out(client)

    # The right password (a POST) sends the code; the page it leads to sends nothing.
    password_done = login(client, EMAIL, PASSWORD, second_factor=False)
    assert password_done.headers["Location"] == "/connexion/verification"
    code = sms_gateway.wait_for_code(PHONE)
    assert client.get("/").status_code == 302  # not signed in before the second factor
    page = finished(client.get("/connexion/verification"))
    text = page_text(page)
    assert "Code reçu par SMS" in text and "Valider" in text and "Renvoyer un code" in text
    assert "Utiliser un code de secours" in text
    finished(client.get("/connexion/verification"))  # a reload
    assert len(sms_gateway.messages_to(PHONE)) == 1

    done = second_step(client, code)
    assert done.headers["Location"] == "/"
    assert "Bonjour Hélène" in page_text(client.get("/"))
    assert session_amr(app) == ["pwd", "sms", "mfa"]
    assert events(app, "second_factor_succeeded")


def test_app_set_up_from_the_security_page_then_sign_in_with_it(app, client, clock):
    make_account(app, clock)
    login(client, EMAIL, PASSWORD)
    started = press(client, "/securite", "/securite/application")
    assert started.status_code == 302
    qr = client.get("/securite/application/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert qr.headers["Cache-Control"] == "no-store"
    assert b"<svg" in qr.data and b"<script" not in qr.data
    # A standalone image: without the SVG namespace a browser shows a broken image.
    root = ElementTree.fromstring(qr.data)  # noqa: S314 - our own answer
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.get("width")) >= 100

    totp, codes = set_up_app(client, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    # Shown once: the security page only counts them.
    security = page_text(client.get("/securite"))
    assert not any(code in security for code in codes)
    assert "Il vous reste 10 codes de secours." in security
    with app.app_context():
        sealed = db.session.scalars(select(TotpAuthenticator.secret_sealed)).one()
        assert totp.secret not in sealed
        digests = db.session.scalars(select(RecoveryCode.digest)).all()
        assert not {code.replace("-", "") for code in codes} & set(digests)
    sign_out(client)

    assert login(client, EMAIL, PASSWORD, second_factor=False).status_code == 302
    page = page_text(client.get("/connexion/verification"))
    assert "Code de votre application" in page
    # The code that confirmed the app cannot be used again.
    replay = second_step(client, totp.at(clock.now()))
    assert replay.status_code == 422
    clock.advance(seconds=30)
    done = second_step(client, totp.at(clock.now()))
    assert done.headers["Location"] == "/"
    assert session_amr(app) == ["pwd", "otp", "mfa"]


def test_recovery_codes_are_single_use(app, client, clock):
    make_account(app, clock)
    login(client, EMAIL, PASSWORD)
    _totp, codes = set_up_app(client, clock)
    sign_out(client)

    login(client, EMAIL, PASSWORD, second_factor=False)
    page = page_text(client.get("/connexion/verification?methode=recovery"))
    assert "Code de secours" in page
    used = second_step(client, codes[0].lower(), method="recovery")  # typed in lower case
    assert used.headers["Location"] == "/"
    sign_out(client)

    login(client, EMAIL, PASSWORD, second_factor=False)
    again = second_step(client, codes[0], method="recovery")
    assert again.status_code == 422 and "Ce code n'est pas le bon." in page_text(again)
    other = second_step(client, codes[1], method="recovery")
    assert other.headers["Location"] == "/"
    assert "Il vous reste 8 codes de secours." in page_text(client.get("/securite"))
    assert [e.details["remaining"] for e in events(app, "recovery_code_used")] == [9, 8]


def test_guessing_app_codes_locks_the_account(app, client, clock):
    make_account(app, clock)
    login(client, EMAIL, PASSWORD)
    totp, _codes = set_up_app(client, clock)
    sign_out(client)
    clock.advance(seconds=90)

    login(client, EMAIL, PASSWORD, second_factor=False)
    right = totp.at(clock.now())
    wrong = [f"{n:06d}" for n in range(100) if f"{n:06d}" != right][:5]
    for guess in wrong:
        assert second_step(client, guess).status_code == 422
    locked = second_step(client, right)
    assert locked.status_code == 422
    assert "suspendue pendant 15 minutes" in page_text(locked)
    assert events(app, "account_locked")
    clock.advance(minutes=15, seconds=1)
    login(client, EMAIL, PASSWORD, second_factor=False)
    assert second_step(client, totp.at(clock.now())).headers["Location"] == "/"


def test_policy_required_asks_every_member_and_off_asks_nobody(app, client, clock, sms_gateway):
    make_account(app, clock)
    configure(app, IDP_MFA="required")
    assert login(client, EMAIL, PASSWORD, second_factor=False).headers["Location"] == (
        "/connexion/verification"
    )
    assert second_step(client, sms_gateway.wait_for_code(PHONE)).headers["Location"] == "/"
    with app.app_context():
        # The SMS reached the member: the number is theirs.
        assert db.session.scalars(select(Account.phone_verified)).one()
    sign_out(client)

    configure(app, IDP_MFA="off")
    assert login(client, EMAIL, PASSWORD, second_factor=False).headers["Location"] == "/"


def test_an_admin_without_a_second_factor_sets_one_up_before_the_console(app, client, clock):
    admin_id = make_account(app, clock, email="admin@example.org")
    with app.app_context():
        db.session.get(Account, admin_id).is_admin = True
        db.session.commit()
    login(client, "admin@example.org", PASSWORD)
    to_setup = client.get("/admin/")
    assert to_setup.headers["Location"] == "/securite"
    assert "demande une double authentification" in page_text(client.get("/securite"))
    set_up_app(client, clock)
    # The app's code stepped the session up: back to the console.
    assert client.get("/securite/continuer").headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_admin_resets_a_members_second_factor(app, client, clock):
    member_id = make_account(app, clock)
    login(client, EMAIL, PASSWORD)
    set_up_app(client, clock)
    sign_out(client)
    admin = app.test_client()
    make_account(app, clock, email="admin@example.org", is_admin=True)
    login(admin, "admin@example.org", PASSWORD)
    page = admin.get(f"/admin/comptes/{member_id}").get_data(as_text=True)
    assert "application d'authentification" in page
    action = f"/admin/comptes/{member_id}/double-authentification/reinitialiser"
    assert f'action="{action}"' in page
    reset = finished(admin.post(action, data={"csrf_token": csrf_token(page)}))
    assert reset.status_code == 302
    after = page_text(admin.get(f"/admin/comptes/{member_id}"))
    assert "est réinitialisée" in after and "Réinitialiser la double authentification" not in after
    (event,) = events(app, "second_factor_reset")
    assert event.account_id == member_id and event.details["admin_id"] != member_id
    # Lost phone, reset: the member signs in with the password again.
    assert login(client, EMAIL, PASSWORD, second_factor=False).headers["Location"] == "/"


def test_an_admin_session_without_its_second_factor_is_stepped_up(app, client, clock):
    make_account(app, clock, email="admin@example.org", is_admin=True)
    configure(app, IDP_MFA="optional")
    login(client, "admin@example.org", PASSWORD)
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        row = db.session.scalars(select(SsoSession)).one()
        row.amr = ["pwd"]  # a session from before the admin's app was set up
        db.session.commit()
    assert client.get("/admin/comptes").headers["Location"] == "/connexion/verification"


def sms_outbox(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.channel == OutboxChannel.SMS)
        ).all()


def test_opening_the_sms_step_sends_nothing_until_the_member_asks(app, client, clock, sms_gateway):
    """Prefetches, link scanners and reloads GET pages: a GET never sends a paid SMS."""
    account_id = make_account(app, clock)
    with app.app_context():
        db.session.get(Account, account_id).phone_verified = True
        db.session.commit()
    login(client, EMAIL, PASSWORD)
    set_up_app(client, clock)
    sign_out(client)

    # The app is the first factor asked: the password sends no SMS.
    assert login(client, EMAIL, PASSWORD, second_factor=False).status_code == 302
    for _reload in range(3):
        page = finished(client.get("/connexion/verification?methode=sms"))
        assert page.status_code == 200
    assert sms_outbox(app) == [] and sms_gateway.received == []
    text = page_text(page)
    assert "Envoyer un code" in text and "Code reçu par SMS" not in text

    sent = press(client, "/connexion/verification?methode=sms", "/connexion/verification/renvoyer")
    assert sent.headers["Location"] == "/connexion/verification?methode=sms"
    code = sms_gateway.wait_for_code(PHONE)
    text = page_text(client.get("/connexion/verification?methode=sms"))
    assert "Code reçu par SMS" in text and "Renvoyer un code" in text
    assert len(sms_outbox(app)) == 1
    assert second_step(client, code, method="sms").headers["Location"] == "/"
