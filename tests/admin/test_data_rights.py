"""GDPR rights through the console: export (art. 15 and 20) and erasure (art. 17), over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from idp_extension.db import db
from idp_extension.models import Account, AccountStatus, AuditEvent, SsoSession
from idp_extension.models.oauth import Consent, Token
from idp_extension.models.second_factor import TotpAuthenticator
from idp_extension.oidc.clients import create_client
from idp_extension.security.tokens import digest

from ..account.helpers import login
from ..conftest import both_databases, csrf_token, page_text
from ..enrollment.conftest import submit_sign_up
from ..enrollment.test_journey import PASSWORD, activation_path, set_password
from .test_console import admin_actions, press


def sign_up_and_activate(app, smtp, email, member_number, first_name, last_name, birth_date):
    """A member signs up through the real form and activates through the mailed link."""
    browser = app.test_client()
    reply = submit_sign_up(
        browser,
        email=email,
        email_confirm=email,
        member_number=member_number,
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
    )
    assert reply.status_code == 302, page_text(reply)
    reply.close()
    path = activation_path(smtp.messages_to(email)[-1])
    assert set_password(browser, path).status_code == 302
    with app.app_context():
        return db.session.scalars(select(Account.id).filter_by(email=email)).one()


def give_tokens(app, clock, account_id, client_pk, access_token):
    """An access token a portal holds for the member, and the member's consent to it."""
    with app.app_context():
        now = clock.now()
        db.session.add(
            Token(
                client_pk=client_pk,
                account_id=account_id,
                access_token_digest=digest(access_token),
                refresh_token_digest=digest(access_token + "-refresh"),
                scope="openid profile",
                family_id=access_token,
                issued_at=now,
                access_expires_at=now + timedelta(minutes=10),
                refresh_expires_at=now + timedelta(days=30),
            )
        )
        db.session.add(Consent(account_id=account_id, client_pk=client_pk, scopes=["openid"]))
        db.session.commit()


def portal(app) -> int:
    with app.app_context():
        client, _secret = create_client("Portail santé", ["https://portail.example/cb"])
        return client.id


def userinfo(app, access_token) -> int:
    return (
        app.test_client()
        .get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
        .status_code
    )


@both_databases
def test_export_holds_the_member_data_and_nothing_of_anyone_else(
    app, admin_browser, smtp, members, clock
):
    helene = sign_up_and_activate(
        app, smtp, "helene@example.org", "12345678", "Hélène", "Lefèvre-Dupont", "1980-05-17"
    )
    zoe = sign_up_and_activate(
        app, smtp, "zoe@example.org", "87654321", "Zoé", "Cœur", "1992-02-29"
    )
    client_pk = portal(app)
    give_tokens(app, clock, helene, client_pk, "helene-access-token")
    give_tokens(app, clock, zoe, client_pk, "zoe-access-token")
    with app.app_context():
        for account_id in (helene, zoe):
            db.session.add(
                TotpAuthenticator(
                    account_id=account_id,
                    secret_sealed=f"sealed-secret-{account_id}",
                    created_at=clock.now(),
                    confirmed_at=clock.now(),
                )
            )
        db.session.commit()
    page = f"/admin/comptes/{helene}"
    # The admin acts on Zoé too: none of it may show in Hélène's export.
    press(admin_browser, f"/admin/comptes/{zoe}", f"/admin/comptes/{zoe}/reinitialisation")

    response = press(admin_browser, page, f"{page}/export")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Content-Disposition"] == 'attachment; filename="donnees-12345678.json"'
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    document = json.loads(text)

    with app.app_context():
        subjects = {a.id: a.subject for a in db.session.scalars(select(Account))}
    account = document["account"]
    assert account["email"] == "helene@example.org" and account["member_number"] == "12345678"
    assert account["subject"] == subjects[helene] and account["birth_date"] == "1980-05-17"
    assert account["phone"] == "+33612345678" and account["status"] == "active"
    assert document["register_record"]["last_name"] == "Lefèvre-Dupont"
    assert [c["application"] for c in document["consents"]] == ["Portail santé"]
    assert [t["scope"] for t in document["tokens"]] == ["openid profile"]
    assert document["sessions"] and document["mailed_links"]
    assert [m["kind"] for m in document["mails"]] == ["activation"]
    events = [e["event"] for e in document["audit_events"]]
    assert {"signup", "activation_link_issued", "activation", "session_started"} <= set(events)
    authenticator = document["second_factor"]["authenticator_app"]
    assert authenticator["confirmed_at"] == clock.now().isoformat()
    # Nothing of Zoé, of the admin, nor any secret.
    for foreign in (
        "zoe@example.org",
        "87654321",
        "Cœur",
        subjects[zoe],
        "admin@mutuelle.test",
        subjects[next(i for i in subjects if i not in (helene, zoe))],
        "send_password_reset",
        "helene-access-token",
        digest("helene-access-token"),
        "password_hash",
        "$argon2",
        "sealed-secret",
    ):
        assert foreign not in text, foreign
    assert admin_actions(app)[-1] == {"action": "export_account", "target_account_id": helene}


@both_databases
def test_deleted_member_cannot_sign_in_and_can_sign_up_again(
    app, admin_browser, smtp, members, clock
):
    helene = sign_up_and_activate(
        app, smtp, "helene@example.org", "12345678", "Hélène", "Lefèvre-Dupont", "1980-05-17"
    )
    client_pk = portal(app)
    give_tokens(app, clock, helene, client_pk, "helene-access-token")
    assert userinfo(app, "helene-access-token") == 200
    with app.app_context():
        db.session.add(
            TotpAuthenticator(account_id=helene, secret_sealed="x", created_at=clock.now())
        )
        db.session.commit()
    member = app.test_client()
    assert login(member, "helene@example.org", PASSWORD).status_code == 302

    page = f"/admin/comptes/{helene}"
    confirm = admin_browser.get(f"{page}/supprimer")
    html = page_text(confirm)
    assert confirm.status_code == 200 and "Confirmer la suppression" in html
    # The account page's button leads there; nothing is deleted by opening it.
    assert f'action="{page}/supprimer"' in page_text(admin_browser.get(page))
    assert "Supprimer le compte" in page_text(admin_browser.get(page))
    with app.app_context():
        assert db.session.get(Account, helene) is not None
        own_events = db.session.scalars(select(AuditEvent.id).filter_by(account_id=helene)).all()

    done = admin_browser.post(f"{page}/supprimer", data={"csrf_token": csrf_token(html)})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/comptes"
    flashed = page_text(admin_browser.get("/admin/comptes"))
    assert "Le compte est supprimé" in flashed

    # The audit keeps a pseudonymous trace and no personal data.
    pseudonym = admin_actions(app)[-1]["pseudonym"]
    assert admin_actions(app)[-1]["action"] == "delete_account"
    with app.app_context():
        assert db.session.scalars(select(Token)).all() == []
        assert (
            db.session.scalars(select(TotpAuthenticator).filter_by(account_id=helene)).all() == []
        )
        assert db.session.scalars(select(SsoSession).filter_by(account_id=helene)).all() == []
        trace = db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(own_events))).all()
        assert len(trace) == len(own_events) >= 4
        assert trace and all(event.account_id is None for event in trace)
        assert [e.event for e in trace if e.details.get("pseudonym") != pseudonym] == []
        dumped = json.dumps([[e.ip_address, e.details] for e in trace], ensure_ascii=False)
    for personal in ("helene@example.org", "12345678", "Hélène", "127.0.0.1"):
        assert personal not in dumped, personal

    # Signed out everywhere, tokens dead, password refused, gone from the console.
    assert member.get("/").status_code == 302
    assert userinfo(app, "helene-access-token") == 401
    assert login(app.test_client(), "helene@example.org", PASSWORD).status_code != 302
    assert "helene@example.org" not in page_text(admin_browser.get("/admin/comptes?q=helene"))
    assert admin_browser.get(page).status_code == 302

    # The address and the member number are free: the member signs up again.
    again = sign_up_and_activate(
        app, smtp, "helene@example.org", "12345678", "Hélène", "Lefèvre-Dupont", "1980-05-17"
    )
    with app.app_context():
        assert db.session.get(Account, again).status == AccountStatus.ACTIVE
    assert login(app.test_client(), "helene@example.org", PASSWORD).status_code == 302
