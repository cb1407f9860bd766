"""Forgotten password: the same answer for every address, a single-use link that expires."""

from sqlalchemy import func, select

from idp_extension.db import db
from idp_extension.models import AccountStatus, AuditEvent, OneTimeToken, OutboxMessage

from ..conftest import both_databases, csrf_token, deliver_mail, page_text
from ..mailparse import link_labelled, links_in_text, text_part
from .helpers import PASSWORD, finished, get_account, login, make_account, post_form

NEW_PASSWORD = "Nouveau&Mot2passe"
SAME_ANSWER = "Si un compte existe pour l'adresse"


def ask_for_reset(client, email):
    """Ask for a link, then let the mail worker act on the request, as it does within a second."""
    answer = post_form(client, "/mot-de-passe-oublie", {"email": email})
    deliver_mail(client.application)
    return answer


def reset_link(smtp, email="helene@example.org") -> str:
    (message,) = smtp.messages_to(email)
    return link_labelled(message, "Réinitialiser mon mot de passe")


def path_of(link: str) -> str:
    assert link.startswith("http://localhost/mot-de-passe-oublie/")
    return link.removeprefix("http://localhost")


def choose_password(client, link, password=NEW_PASSWORD, confirm=None):
    return post_form(client, path_of(link), {"password": password, "confirm": confirm or password})


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_forgotten_password_page_has_its_labels(client):
    page = page_text(client.get("/mot-de-passe-oublie"))
    assert '<label class="label" for="email">Adresse email</label>' in page
    assert '<button type="submit" class="button">Valider</button>' in page


@both_databases
def test_full_reset_through_the_received_mail(app, client, smtp, clock, member_account):
    answer = ask_for_reset(client, "helene@example.org")
    assert answer.status_code == 200
    assert SAME_ANSWER in page_text(answer)

    (message,) = smtp.messages_to("helene@example.org")
    assert message["Subject"] == "Réinitialisation de votre mot de passe"
    link = reset_link(smtp)
    assert link in links_in_text(message)
    assert "60 minutes" in text_part(message)
    # Only the token's digest is kept.
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(OneTimeToken).where(OneTimeToken.digest == token)
            )
            == 0
        )

    page = client.get(path_of(link))
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    text = page_text(page)
    assert '<label class="label" for="password">Mot de passe</label>' in text
    assert '<label class="label" for="confirm">Confirmer le mot de passe</label>' in text
    assert "Au moins un caractère spécial autorisé (! @ # * $ % &)" in text
    assert "Les mots de passe sont identiques" in text

    clock.advance(minutes=5)
    done = choose_password(client, link)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert "Bonjour Hélène" in page_text(client.get("/"))  # signed in

    other = app.test_client()
    assert login(other, "helene@example.org", PASSWORD).status_code == 422
    assert login(other, "helene@example.org", NEW_PASSWORD).status_code == 302
    assert get_account(app, member_account).password_changed_at == clock.now()
    events = count(app, AuditEvent, AuditEvent.event == "password_changed")
    assert events == 1


def test_unknown_address_gets_the_same_answer_and_no_mail(app, client, smtp, clock):
    make_account(app, clock, email="pending@example.org", status=AccountStatus.PENDING)
    for email in ("nobody@example.org", "pending@example.org"):
        answer = ask_for_reset(client, email)
        assert answer.status_code == 200
        assert SAME_ANSWER in page_text(answer)
    assert smtp.messages == []
    assert count(app, OutboxMessage) == 0
    assert count(app, OneTimeToken) == 0


def open_form(client, link) -> str:
    """Open the reset page and keep its CSRF token, to submit it later."""
    page = client.get(path_of(link))
    assert page.status_code == 200
    return csrf_token(page.get_data(as_text=True))


def submit_later(client, link, token, password):
    return finished(
        client.post(
            path_of(link), data={"csrf_token": token, "password": password, "confirm": password}
        )
    )


def test_link_is_single_use(app, client, smtp, member_account):
    ask_for_reset(client, "helene@example.org")
    link = reset_link(smtp)
    second_tab = app.test_client()
    token = open_form(second_tab, link)
    assert choose_password(client, link).status_code == 302
    again = client.get(path_of(link))
    assert again.status_code == 410
    text = page_text(again)
    assert "a déjà servi" in text
    assert 'href="/mot-de-passe-oublie"' in text
    # A form opened before the link was used cannot set a password either.
    replay = submit_later(second_tab, link, token, "Autre#Passe9")
    assert replay.status_code == 410
    assert login(app.test_client(), "helene@example.org", "Autre#Passe9").status_code == 422


def test_link_expires(app, client, smtp, clock, member_account):
    ask_for_reset(client, "helene@example.org")
    link = reset_link(smtp)
    clock.advance(seconds=app.config["IDP_RESET_TTL"] - 1)
    token = open_form(client, link)
    clock.advance(seconds=1)
    expired = client.get(path_of(link))
    assert expired.status_code == 410
    assert "a expiré" in page_text(expired)
    assert submit_later(client, link, token, NEW_PASSWORD).status_code == 410
    assert login(client, "helene@example.org", NEW_PASSWORD).status_code == 422


def test_new_link_voids_the_previous_one(app, client, smtp, member_account):
    ask_for_reset(client, "helene@example.org")
    first = reset_link(smtp)
    smtp.clear()
    ask_for_reset(client, "helene@example.org")
    second = reset_link(smtp)
    assert first != second
    assert client.get(path_of(first)).status_code == 410
    assert client.get(path_of(second)).status_code == 200


def test_unknown_link_is_a_404_offering_a_new_one(client):
    response = client.get("/mot-de-passe-oublie/" + "x" * 43)
    assert response.status_code == 404
    assert "Recevoir un nouveau lien" in page_text(response)


def test_weak_password_is_refused_and_the_link_still_works(app, client, smtp, member_account):
    ask_for_reset(client, "helene@example.org")
    link = reset_link(smtp)
    weak = choose_password(client, link, password="motdepasse")
    assert weak.status_code == 422
    assert "Au moins une lettre majuscule" in page_text(weak)
    mismatch = choose_password(client, link, confirm="Autre#Passe9")
    assert mismatch.status_code == 422
    assert "Les mots de passe ne sont pas identiques." in page_text(mismatch)
    assert choose_password(client, link).status_code == 302


def test_reset_unlocks_a_locked_account(app, client, smtp, member_account):
    for _ in range(app.config["IDP_LOCKOUT_THRESHOLD"]):
        login(client, "helene@example.org", "Wrong#Pass1")
    assert login(client, "helene@example.org", PASSWORD).status_code == 422  # locked
    ask_for_reset(client, "helene@example.org")
    assert choose_password(client, reset_link(smtp)).status_code == 302
    assert login(app.test_client(), "helene@example.org", NEW_PASSWORD).status_code == 302


def test_password_change_ends_other_sessions(app, client, smtp, clock, member_account):
    laptop = app.test_client()
    assert login(laptop, "helene@example.org", PASSWORD).status_code == 302
    assert laptop.get("/").status_code == 200

    clock.advance(minutes=1)
    ask_for_reset(client, "helene@example.org")
    assert choose_password(client, reset_link(smtp)).status_code == 302

    assert laptop.get("/").status_code == 302  # sent back to the login page
    assert client.get("/").status_code == 200  # the browser that reset stays signed in
