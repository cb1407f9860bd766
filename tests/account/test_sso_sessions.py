"""Server-side SSO sessions: signing out ends a session for every copy of its cookie, and a
session ends after its idle limit, its absolute lifetime, a password change or an account's
disabling - whatever the browser still holds."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text

from idp_extension.db import db
from idp_extension.models import Account, AccountStatus, AuditEvent, SsoSession

from ..conftest import both_databases, csrf_token, deliver_mail, page_text
from .helpers import PASSWORD, finished, login, make_account, post_form

NEW_PASSWORD = "Nouveau&Mot2passe"
COOKIE = "idp_session"
HOUR = 3600


def cookie_of(browser) -> str:
    cookie = browser.get_cookie(COOKIE, domain="localhost")
    assert cookie is not None, "the browser holds no session cookie"
    return cookie.value


def copy_to(app, value: str):
    """Another browser holding a copy of a session cookie (stolen, or kept from before)."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, value, domain="localhost")
    return thief


def signed_in(browser) -> bool:
    response = browser.get("/")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response.headers["Location"] == "/connexion"
    return response.status_code == 200


def session_id_in(app, cookie_value: str) -> str:
    """The random session id inside the (signed, not encrypted) cookie, as its holder sees it."""
    with app.test_request_context():
        data = app.session_interface.get_signing_serializer(app).loads(cookie_value)
    return data["sid"]


def rows(app, account_id=None) -> list[SsoSession]:
    with app.app_context():
        query = select(SsoSession).order_by(SsoSession.id)
        if account_id is not None:
            query = query.where(SsoSession.account_id == account_id)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def ended_reasons(app, account_id) -> list[str | None]:
    return [row.end_reason for row in rows(app, account_id)]


def audit(app, name) -> list[AuditEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.id)
            )
        )
        db.session.expunge_all()
        return found


@both_databases
def test_a_cookie_copied_before_logout_no_longer_signs_in(app, client, member_account):
    login(client, "helene@example.org", PASSWORD)
    copied = cookie_of(client)
    thief = copy_to(app, copied)
    assert signed_in(thief)  # the copy is as good as the original while the session lives

    assert post_form(client, "/deconnexion", {}).headers["Location"] == "/connexion"

    assert not signed_in(thief)
    assert not signed_in(copy_to(app, copied))
    assert not signed_in(client)
    (row,) = rows(app, member_account)
    assert row.ended_at is not None and row.end_reason == "logout"


@both_databases
def test_only_the_digest_of_the_session_id_is_stored(app, client, member_account):
    login(client, "helene@example.org", PASSWORD)
    session_id = session_id_in(app, cookie_of(client))
    assert len(session_id) >= 43  # 32 random bytes, URL-safe base64
    (row,) = rows(app, member_account)
    assert row.digest == hashlib.sha256(session_id.encode()).hexdigest()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for values in db.session.execute(select(table)).all():
                assert session_id not in repr(tuple(values)), f"session id in {table.name}"


def test_a_busy_session_still_ends_at_its_absolute_lifetime(app, client, clock, member_account):
    assert app.config["IDP_SESSION_MAX_AGE"] == 12 * HOUR
    login(client, "helene@example.org", PASSWORD)
    for _ in range(11):  # used every hour: never idle
        clock.advance(hours=1)
        assert signed_in(client)
    clock.advance(minutes=59, seconds=59)
    assert signed_in(client)
    clock.advance(seconds=1)  # 12 hours after the sign-in
    assert not signed_in(client)
    assert ended_reasons(app, member_account) == ["expired"]

    assert login(client, "helene@example.org", PASSWORD).status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("app_config", [{"IDP_SESSION_MAX_AGE": 7 * 24 * HOUR}], indirect=True)
def test_an_unused_session_ends_after_the_idle_limit(app, client, clock, member_account):
    idle = app.config["IDP_SESSION_LIFETIME"]
    login(client, "helene@example.org", PASSWORD)
    clock.advance(seconds=idle - 1)
    assert signed_in(client)  # this use restarts the idle count
    clock.advance(seconds=idle - 1)
    assert signed_in(client)
    clock.advance(seconds=idle)
    assert not signed_in(client)
    assert ended_reasons(app, member_account) == ["idle"]


def test_last_use_is_written_at_most_once_a_minute(app, client, clock, member_account):
    login(client, "helene@example.org", PASSWORD)
    signed_in_at = clock.now()
    clock.advance(seconds=59)
    assert signed_in(client)
    assert rows(app, member_account)[0].last_seen_at == signed_in_at
    clock.advance(seconds=1)
    assert signed_in(client)
    assert rows(app, member_account)[0].last_seen_at == clock.now()


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(
    app, client, clock, member_account
):
    phone = app.test_client()
    login(phone, "helene@example.org", PASSWORD)
    login(client, "helene@example.org", PASSWORD)
    before_change = cookie_of(client)
    clock.advance(minutes=3)

    response = post_form(
        client,
        "/mot-de-passe",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        page_path="/",
    )
    assert response.status_code == 302

    assert signed_in(client)
    assert not signed_in(phone)
    # This browser got a new session: its cookie from before the change is dead too.
    assert not signed_in(copy_to(app, before_change))
    assert ended_reasons(app, member_account) == ["password_changed", "replaced", None]


def test_a_password_reset_ends_every_session_but_the_resetting_browser(
    app, client, clock, smtp, member_account
):
    from ..mailparse import link_labelled

    laptop = app.test_client()
    login(laptop, "helene@example.org", PASSWORD)
    clock.advance(minutes=1)
    post_form(client, "/mot-de-passe-oublie", {"email": "helene@example.org"})
    deliver_mail(app)
    (message,) = smtp.messages_to("helene@example.org")
    link = link_labelled(message, "Réinitialiser mon mot de passe").removeprefix("http://localhost")
    answer = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 302

    assert signed_in(client)
    assert not signed_in(laptop)


def test_disabling_an_account_in_the_console_ends_its_sessions_for_good(
    app, client, clock, member_account
):
    login(client, "helene@example.org", PASSWORD)
    copied = cookie_of(client)
    make_account(app, clock, email="admin@example.org", is_admin=True)
    admin = app.test_client()
    login(admin, "admin@example.org", PASSWORD)

    def press(action):
        # The buttons sit on the account's own page, reached from the accounts list.
        page = admin.get(f"/admin/comptes/{member_account}").get_data(as_text=True)
        assert f'action="{action}"' in page
        return finished(admin.post(action, data={"csrf_token": csrf_token(page)}))

    assert press(f"/admin/comptes/{member_account}/desactiver").status_code == 302
    assert ended_reasons(app, member_account) == ["account_disabled"]
    assert press(f"/admin/comptes/{member_account}/reactiver").status_code == 302

    # Enabled again, the account needs a new sign-in: the old session does not come back.
    assert not signed_in(client)
    assert not signed_in(copy_to(app, copied))
    assert login(client, "helene@example.org", PASSWORD).status_code == 302
    assert signed_in(client)
    assert signed_in(admin)


def test_two_browsers_have_independent_sessions(app, client, member_account):
    phone = app.test_client()
    login(phone, "helene@example.org", PASSWORD)
    login(client, "helene@example.org", PASSWORD)
    assert session_id_in(app, cookie_of(phone)) != session_id_in(app, cookie_of(client))

    post_form(client, "/deconnexion", {})
    assert not signed_in(client)
    assert signed_in(phone)
    assert ended_reasons(app, member_account) == [None, "logout"]


def test_signing_in_again_replaces_this_browsers_session(app, client, clock, member_account):
    login(client, "helene@example.org", PASSWORD)
    first = cookie_of(client)
    clock.advance(minutes=5)
    login(client, "helene@example.org", PASSWORD)
    assert signed_in(client)
    assert not signed_in(copy_to(app, first))
    assert ended_reasons(app, member_account) == ["replaced", None]


def test_sign_out_from_a_relying_party_ends_the_server_session(app, client, member_account):
    login(client, "helene@example.org", PASSWORD)
    copied = cookie_of(client)
    page = client.get("/logout")
    assert page.status_code == 200
    assert "Se déconnecter" in page_text(page)
    finished(client.post("/logout/confirm", data={"csrf_token": csrf_token(page_text(page))}))
    assert not signed_in(copy_to(app, copied))
    assert ended_reasons(app, member_account) == ["logout"]


def test_a_deleted_account_signs_nobody_in(app, client, member_account):
    login(client, "helene@example.org", PASSWORD)
    with app.app_context():
        db.session.delete(db.session.get(Account, member_account))
        db.session.commit()
        assert db.session.scalar(select(SsoSession.id)) is None  # ON DELETE CASCADE
    assert not signed_in(client)


def test_session_rows_keep_a_short_printable_user_agent(app, client, member_account):
    client.environ_base["HTTP_USER_AGENT"] = "Navigateur\x01\x7f/1.0 " + "é" * 5000
    login(client, "helene@example.org", PASSWORD)
    (row,) = rows(app, member_account)
    assert row.user_agent.startswith("Navigateur/1.0 é")
    assert len(row.user_agent) == 255
    assert row.ip_address == "127.0.0.1"


def test_sessions_are_audited_without_their_id(app, client, member_account):
    login(client, "helene@example.org", PASSWORD)
    session_id = session_id_in(app, cookie_of(client))
    post_form(client, "/deconnexion", {})
    (started,) = audit(app, "session_started")
    (ended,) = audit(app, "session_ended")
    (row,) = rows(app, member_account)
    assert started.account_id == ended.account_id == member_account
    assert started.details == {"sso_session_id": row.id, "method": "pwd"}
    assert ended.details == {"sso_session_id": row.id, "reason": "logout"}
    assert session_id not in repr(started.details) + repr(ended.details)


def test_a_disabled_account_found_at_its_next_request_is_ended_once(app, client, member_account):
    login(client, "helene@example.org", PASSWORD)
    copied = cookie_of(client)
    with app.app_context():
        db.session.execute(
            text("UPDATE accounts SET status = :status WHERE id = :id"),
            {"status": AccountStatus.DISABLED.value, "id": member_account},
        )
        db.session.commit()
    assert not signed_in(client)
    assert not signed_in(copy_to(app, copied))
    assert ended_reasons(app, member_account) == ["account_disabled"]
    assert len(audit(app, "session_ended")) == 1


@pytest.mark.parametrize("value", ["0", "-60", "douze heures"])
def test_an_unusable_absolute_lifetime_is_refused_at_start_up(value):
    from idp_extension import create_app
    from idp_extension.config import ConfigurationError

    with pytest.raises(ConfigurationError, match="IDP_SESSION_MAX_AGE"):
        create_app(
            {
                "IDP_SESSION_MAX_AGE": value,
                "IDP_SECRET_KEY": "k" * 40,
                "IDP_DATABASE_URL": "sqlite://",
            }
        )
