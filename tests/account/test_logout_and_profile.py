"""Logout, the home page (profile) and changing the password from it."""

from sqlalchemy import select

from idp_extension.db import db
from idp_extension.models import AccountStatus, AuditEvent

from ..conftest import deliver_mail, page_text
from .helpers import PASSWORD, finished, login, make_account, post_form

NEW_PASSWORD = "Nouveau&Mot2passe"


def events(app, name):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.event == name)))


def test_anonymous_home_goes_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"


def test_logout_confirmation_then_post_ends_the_session(app, client, member_account):
    login(client, "helene@example.org", PASSWORD)
    page = client.get("/deconnexion")
    assert page.status_code == 200
    assert '<button type="submit" class="button">Se déconnecter</button>' in page_text(page)
    assert "helene@example.org" in page_text(page)

    response = post_form(client, "/deconnexion", {})
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    assert client.get("/").status_code == 302
    assert "Votre session est fermée." in page_text(client.get("/connexion"))
    (event,) = events(app, "logout")
    assert event.account_id == member_account


def test_logout_without_csrf_token_does_nothing(client, member_account):
    login(client, "helene@example.org", PASSWORD)
    response = finished(client.post("/deconnexion"))
    assert response.status_code == 400
    assert client.get("/").status_code == 200


def test_home_shows_the_profile(client, member_account):
    login(client, "helene@example.org", PASSWORD)
    page = page_text(client.get("/"))
    for shown in ("Hélène Lefèvre-Dupont", "helene@example.org", "+33612345678", "10000"):
        assert shown in page
    assert "Changer mon mot de passe" in page
    assert '<label class="label" for="current">Mot de passe actuel</label>' in page
    assert "Console d'administration" not in page


def test_disabled_account_loses_its_session(app, client, member_account):
    login(client, "helene@example.org", PASSWORD)
    with app.app_context():
        from idp_extension.models import Account

        db.session.get(Account, member_account).status = AccountStatus.DISABLED
        db.session.commit()
    assert client.get("/").status_code == 302


def change(client, current, new, confirm=None):
    return post_form(
        client,
        "/mot-de-passe",
        {"current": current, "password": new, "confirm": confirm or new},
        page_path="/",
    )


def test_change_password_needs_the_current_one(app, client, member_account):
    login(client, "helene@example.org", PASSWORD)
    response = change(client, "Wrong#Pass1", NEW_PASSWORD)
    assert response.status_code == 422
    assert "Le mot de passe actuel est incorrect." in page_text(response)
    assert login(app.test_client(), "helene@example.org", PASSWORD).status_code == 302


def test_change_password_applies_the_rules(client, member_account):
    login(client, "helene@example.org", PASSWORD)
    response = change(client, PASSWORD, "court")
    assert response.status_code == 422
    assert "Au moins 8 caractères" in page_text(response)


def test_change_password_keeps_this_session_and_ends_the_others(app, client, clock, member_account):
    phone = app.test_client()
    login(phone, "helene@example.org", PASSWORD)
    login(client, "helene@example.org", PASSWORD)
    clock.advance(minutes=3)
    response = change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert "Votre mot de passe a été changé." in page_text(client.get("/"))
    assert phone.get("/").status_code == 302
    assert login(app.test_client(), "helene@example.org", NEW_PASSWORD).status_code == 302
    assert [e.details["via"] for e in events(app, "password_changed")] == ["profile"]


def test_admin_sees_the_console_link(app, client, clock):
    make_account(app, clock, email="admin@example.org", is_admin=True)
    login(client, "admin@example.org", PASSWORD)
    assert "Console d'administration" in page_text(client.get("/"))


def test_pending_account_is_offered_a_new_activation_link(app, client, smtp, clock):
    from ..mailparse import link_labelled

    make_account(app, clock, email="pending@example.org", status=AccountStatus.PENDING)
    failed = login(client, "pending@example.org", "Anything#1")
    assert failed.status_code == 422
    assert 'href="/activation/renvoyer"' in page_text(failed)

    page = client.get("/activation/renvoyer")
    assert '<label class="label" for="email">Adresse email</label>' in page_text(page)
    answer = post_form(client, "/activation/renvoyer", {"email": "Pending@example.org"})
    assert answer.status_code == 200
    assert "Si un compte en attente d'activation existe" in page_text(answer)
    deliver_mail(app)  # the worker acts on the request

    (message,) = smtp.messages_to("pending@example.org")
    link = link_labelled(message, "Activer mon compte")
    assert link.startswith("http://localhost/activation/")
    activation = client.get(link.removeprefix("http://localhost"))
    assert activation.status_code == 200
    assert "Je définis mon mot de passe" in page_text(activation)


def test_resend_answers_the_same_and_sends_nothing_for_other_addresses(
    app, client, smtp, member_account
):
    for email in ("nobody@example.org", "helene@example.org"):  # unknown, already active
        answer = post_form(client, "/activation/renvoyer", {"email": email})
        assert answer.status_code == 200
        assert "Si un compte en attente d'activation existe" in page_text(answer)
    deliver_mail(app)
    assert smtp.messages == []
