"""The member's whole journey over HTTP, CSRF on: sign up, real mail, link, password, signed in."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from idp_extension.db import db
from idp_extension.models import Account, AccountStatus

from ..conftest import both_databases, csrf_token, page_text
from ..mailparse import link_labelled, links_in_text, text_part
from .conftest import counts, submit_sign_up

PASSWORD = "Printemps#2026"


def activation_path(message) -> str:
    """The path behind the mail's button, as the browser on this provider would open it."""
    link = link_labelled(message, "Activer mon compte")
    assert link.startswith("http://localhost/activation/")
    assert link in links_in_text(message)  # the text part carries the same link
    return urlsplit(link).path


def sign_up_and_receive(client, smtp, **overrides):
    response = submit_sign_up(client, **overrides)
    assert response.status_code == 302
    assert response.headers["Location"] == "/inscription/email-envoye"
    response.close()  # the server closes the response: the mail leaves right after it
    email = overrides.get("email", "helene@example.org")
    received = smtp.messages_to(email)
    assert received, "the activation mail did not arrive"
    return received[-1]


def postpone_phone_verification(client):
    """On the phone verification page that follows the first password: ``Plus tard``."""
    page = client.get("/telephone/verification")
    assert page.status_code == 200 and "Code reçu par SMS" in page_text(page)
    return client.post(
        "/telephone/verification/plus-tard",
        data={"csrf_token": csrf_token(page.get_data(as_text=True))},
    )


def set_password(client, path, password=PASSWORD, confirm=None):
    page = client.get(path)
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "password": password,
            "password_confirm": password if confirm is None else confirm,
        },
    )


@both_databases
def test_member_signs_up_activates_and_is_signed_in(app, client, members, smtp):
    form = client.get("/inscription")
    assert form.status_code == 200

    message = sign_up_and_receive(client, smtp)
    sent = client.get("/inscription/email-envoye")
    sent_text = page_text(sent)
    assert "Un email vient d'être envoyé à helene@example.org" in sent_text
    assert "spams" in sent_text and "indésirables" in sent_text
    assert "Recevoir un nouveau lien" in sent_text

    assert message["Subject"] == "Activez votre espace client"
    assert "valable 24 heures" in text_part(message)
    path = activation_path(message)

    page = client.get(path)
    html = page_text(page)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "<h1>Je définis mon mot de passe</h1>" in html
    assert "Quel mot de passe souhaitez-vous utiliser ?" in html
    assert re.search(r'<label class="label" for="password">Mot de passe</label>', html)
    assert re.search(r'<label class="label" for="password_confirm">Confirmer le mot de passe', html)
    for rule in [
        "Au moins 8 caractères",
        "Au moins une lettre minuscule (abc...)",
        "Au moins une lettre majuscule (ABC...)",
        "Au moins un chiffre (123...)",
        "Au moins un caractère spécial autorisé (! @ # * $ % &)",
        "Les mots de passe sont identiques",
    ]:
        assert rule in html
    assert '<script src="/assets/js/password-checklist.js" defer></script>' in html
    assert "<script>" not in html
    with client.get("/assets/js/password-checklist.js") as script:
        assert script.status_code == 200 and b"data-rule" in script.data

    done = client.post(
        path,
        data={"csrf_token": csrf_token(html), "password": PASSWORD, "password_confirm": PASSWORD},
    )
    # The mobile number is verified next (tests/mfa cover it); postponed here.
    assert done.status_code == 302 and done.headers["Location"] == "/telephone/verification"
    assert postpone_phone_verification(client).headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Bonjour Hélène" in page_text(home)

    with app.app_context():
        account = db.session.scalars(select(Account)).one()
        assert account.status == AccountStatus.ACTIVE and account.email_verified
        assert account.phone == "+33612345678" and account.email == "helene@example.org"
        assert account.last_name == "Lefèvre-Dupont"
        assert PASSWORD not in account.password_hash


def test_replayed_link_after_activation_says_already_activated(app, client, members, smtp):
    path = activation_path(sign_up_and_receive(client, smtp))
    assert set_password(client, path).status_code == 302
    stranger = app.test_client()
    again = stranger.get(path)
    text = page_text(again)
    assert "Votre compte est déjà activé" in text
    assert 'href="/connexion"' in again.get_data(as_text=True)
    assert again.headers["Referrer-Policy"] == "no-referrer"
    # Posting a password through the used link changes nothing.
    page = stranger.get("/inscription")
    replay = stranger.post(
        path,
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "password": "Autre#Passe99",
            "password_confirm": "Autre#Passe99",
        },
    )
    assert "Votre compte est déjà activé" in page_text(replay)
    with app.app_context():
        account = db.session.scalars(select(Account)).one()
        assert app.extensions["idp"].passwords.verify(account.password_hash, PASSWORD)


def test_password_page_refuses_weak_or_different_passwords(app, client, members, smtp):
    path = activation_path(sign_up_and_receive(client, smtp))
    weak = set_password(client, path, password="faible")
    assert weak.status_code == 422
    text = page_text(weak)
    assert "ne respecte pas toutes les conditions" in text
    assert "au moins une lettre majuscule" in text
    different = set_password(client, path, confirm=PASSWORD + "x")
    assert different.status_code == 422
    assert "Les mots de passe ne sont pas identiques" in page_text(different)
    huge = set_password(client, path, password="Aa1!" * 5000)
    assert huge.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Account)).one().status == AccountStatus.PENDING
    assert set_password(client, path).status_code == 302  # the link survived the mistakes


def test_link_opened_does_not_use_it(app, client, members, smtp):
    path = activation_path(sign_up_and_receive(client, smtp))
    scanner = app.test_client()
    for _ in range(3):
        assert scanner.get(path).status_code == 200  # a mail scanner prefetching the link
    assert set_password(client, path).status_code == 302


def test_member_lands_back_where_the_sso_journey_started(app, client, members, smtp):
    with client.session_transaction() as session:
        session["next"] = "/authorize?client_id=portail&state=xyz"
    path = activation_path(sign_up_and_receive(client, smtp))
    done = set_password(client, path)
    assert done.headers["Location"] == "/telephone/verification"
    later = postpone_phone_verification(client)
    assert later.headers["Location"] == "/authorize?client_id=portail&state=xyz"


def test_signing_up_again_replaces_the_pending_account_and_kills_the_first_link(
    app, client, members, smtp
):
    first = activation_path(
        sign_up_and_receive(
            client, smtp, email="helene@wrong.example", email_confirm="helene@wrong.example"
        )
    )
    second_message = sign_up_and_receive(client, smtp)
    second = activation_path(second_message)
    with app.app_context():
        accounts = db.session.scalars(select(Account)).all()
        assert [a.email for a in accounts] == ["helene@example.org"]
    dead = client.get(first)
    assert dead.status_code == 404
    assert "Ce lien n'est plus valable" in page_text(dead)
    assert 'href="/inscription"' in dead.get_data(as_text=True)
    assert set_password(client, second).status_code == 302


def test_active_account_gets_pointed_to_login_and_forgotten_password(app, client, members, smtp):
    path = activation_path(sign_up_and_receive(client, smtp))
    set_password(client, path)
    other = app.test_client()
    response = submit_sign_up(other, email="autre@example.org", email_confirm="autre@example.org")
    html = page_text(response)
    assert response.status_code == 409
    assert "Vous avez déjà un espace client" in html
    assert 'href="/connexion"' in html
    assert re.search(r'href="[^"]*mot-de-passe-oublie[^"]*">Mot de passe oublié \?</a>', html)
    assert counts(app) == (1, 1)


def test_expired_link_offers_a_new_one_that_works(app, client, members, smtp, clock):
    old = activation_path(sign_up_and_receive(client, smtp))
    clock.advance(hours=24, seconds=1)
    expired = client.get(old)
    assert expired.status_code == 410
    html = page_text(expired)
    assert "Ce lien a expiré" in html
    assert expired.headers["Referrer-Policy"] == "no-referrer"

    renewed = client.post(old + "/nouveau-lien", data={"csrf_token": csrf_token(html)})
    assert renewed.status_code == 302
    renewed.close()
    assert len(smtp.messages) == 2
    fresh = activation_path(smtp.messages[-1])
    assert fresh != old
    assert client.get(old).status_code == 404  # the expired link is now void
    assert set_password(client, fresh).status_code == 302


def test_renewal_without_csrf_token_is_refused(app, client, members, smtp, clock):
    old = activation_path(sign_up_and_receive(client, smtp))
    clock.advance(hours=25)
    assert client.post(old + "/nouveau-lien").status_code == 400
    assert len(smtp.messages) == 1


def test_new_link_from_the_sent_page_voids_the_previous_one(app, client, members, smtp):
    first = activation_path(sign_up_and_receive(client, smtp))
    sent = client.get("/inscription/email-envoye")
    again = client.post(
        "/inscription/nouveau-lien",
        data={"csrf_token": csrf_token(sent.get_data(as_text=True))},
        follow_redirects=True,
    )
    assert "Un nouveau lien vient de vous être envoyé" in page_text(again)
    assert len(smtp.messages) == 2
    second = activation_path(smtp.messages[-1])
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


@pytest.mark.parametrize("token", ["inconnu", "A" * 43, "x" * 3000, "%00%ff"])
def test_unknown_links_get_the_invalid_page(client, token):
    response = client.get(f"/activation/{token}")
    assert response.status_code == 404
    assert "Ce lien n'est plus valable" in page_text(response)


def test_sent_page_without_a_sign_up_goes_to_the_form(client):
    response = client.get("/inscription/email-envoye")
    assert response.status_code == 302 and response.headers["Location"] == "/inscription"
