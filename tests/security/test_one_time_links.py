"""One-time links under attack: parallel use, a link of one purpose used for the other, GET."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from idp_extension.db import db
from idp_extension.models import Account, AccountStatus, OneTimeToken

from ..conftest import both_databases, csrf_token, deliver_mail
from ..enrollment.conftest import submit_sign_up
from ..mailparse import link_labelled

PASSWORDS = ("Premier#2026", "Second#2026")


@pytest.fixture
def app_config(app_config):
    # Real hashing cost: the time a member's request spends between reading the link and
    # spending it, which is the window a second request races into.
    return {**app_config, "IDP_ARGON2_TIME_COST": 2, "IDP_ARGON2_MEMORY_COST": 32768}


def activation_path(client, smtp) -> str:
    response = submit_sign_up(client)
    assert response.status_code == 302
    response.close()
    (message,) = smtp.messages_to("helene@example.org")
    return urlsplit(link_labelled(message, "Activer mon compte")).path


def post_together(browsers, path, forms):
    """Each browser posts its form at the same moment; the responses, in browser order."""
    barrier = threading.Barrier(len(browsers))
    answers: list = [None] * len(browsers)

    def post(index):
        try:
            barrier.wait(timeout=10)
            response = browsers[index].post(path, data=forms[index])
            response.close()
            answers[index] = response
        except BaseException as error:  # noqa: BLE001 - reported by the caller's assertions
            answers[index] = error

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(not isinstance(answer, BaseException) for answer in answers), answers
    return answers


@both_databases
@pytest.mark.parametrize("round_", range(3))
def test_an_activation_link_used_twice_at_once_sets_one_password(app, members, smtp, round_):
    path = activation_path(app.test_client(), smtp)
    browsers = [app.test_client(), app.test_client()]
    forms = []
    for browser, password in zip(browsers, PASSWORDS, strict=True):
        page = browser.get(path)
        forms.append(
            {
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "password": password,
                "password_confirm": password,
            }
        )

    answers = post_together(browsers, path, forms)

    signed_in = [answer for answer in answers if answer.status_code == 302]
    assert len(signed_in) == 1, [answer.status_code for answer in answers]
    winner = answers.index(signed_in[0])
    # Only the winner's browser holds a session, and only the winner's password opens it.
    assert browsers[winner].get("/").status_code == 200
    assert browsers[1 - winner].get("/").status_code == 302
    with app.app_context():
        account = db.session.scalar(select(Account))
        hashing = app.extensions["idp"].passwords
        assert account.status == AccountStatus.ACTIVE
        assert hashing.verify(account.password_hash, PASSWORDS[winner])
        assert not hashing.verify(account.password_hash, PASSWORDS[1 - winner])


def test_opening_an_activation_link_does_not_spend_it(app, client, members, smtp):
    path = activation_path(client, smtp)
    for _ in range(3):
        assert client.get(path).status_code == 200
    assert client.head(path).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(OneTimeToken.used_at)) is None
        assert db.session.scalar(select(Account.status)) == AccountStatus.PENDING


def test_an_activation_link_is_no_reset_link_and_the_reverse(app, client, members, smtp):
    path = activation_path(client, smtp)
    activation_token = path.rsplit("/", 1)[1]
    assert client.get(f"/mot-de-passe-oublie/{activation_token}").status_code == 404

    page = client.get(path)
    client.post(
        path,
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "password": PASSWORDS[0],
            "password_confirm": PASSWORDS[0],
        },
    ).close()
    smtp.clear()
    reset_browser = app.test_client()
    form = reset_browser.get("/mot-de-passe-oublie")
    reset_browser.post(
        "/mot-de-passe-oublie",
        data={"csrf_token": csrf_token(form.get_data(as_text=True)), "email": "helene@example.org"},
    ).close()
    deliver_mail(app)
    (message,) = smtp.messages_to("helene@example.org")
    reset_token = urlsplit(link_labelled(message, "Réinitialiser mon mot de passe")).path
    reset_token = reset_token.rsplit("/", 1)[1]
    assert reset_browser.get(f"/mot-de-passe-oublie/{reset_token}").status_code == 200
    # Used as an activation link, the reset link opens nothing and changes nothing.
    assert reset_browser.get(f"/activation/{reset_token}").status_code == 404
