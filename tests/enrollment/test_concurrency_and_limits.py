"""Races and floods: the unique member number decides parallel sign-ups; limits stop floods."""

import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from idp_extension.db import db
from idp_extension.models import Account

from ..conftest import csrf_token, page_text
from ..mailparse import link_labelled
from .conftest import counts, submit_sign_up


@pytest.mark.postgresql
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_sign_ups_at_once_end_with_one_account(app, members, smtp, round_):
    browsers = [app.test_client(), app.test_client()]
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def sign_up(index: int, email: str) -> None:
        client = browsers[index]
        original_post = client.post

        def post_together(*args, **kwargs):
            barrier.wait(timeout=10)  # both browsers press "Valider" at the same moment
            return original_post(*args, **kwargs)

        client.post = post_together
        try:
            answers[index] = submit_sign_up(client, email=email, email_confirm=email)
        except BaseException as error:  # noqa: BLE001 - reported by the assertions below
            answers[index] = error

    threads = [
        threading.Thread(target=sign_up, args=(0, "helene@example.org")),
        threading.Thread(target=sign_up, args=(1, "helene.bis@example.org")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert all(not isinstance(answer, BaseException) for answer in answers), answers
    statuses = sorted(answer.status_code for answer in answers)
    for answer in answers:
        answer.close()
    with app.app_context():
        emails = db.session.scalars(select(Account.email)).all()
        assert len(emails) == 1
        db.session.rollback()
    if statuses == [302, 302]:
        # On a loaded machine one sign-up can commit before the other reads: the second then
        # replaces a pending account, as designed (DESIGN 2), and only its link is valid.
        assert counts(app) == (1, 2)
        return
    assert statuses == [302, 409], statuses
    loser = next(answer for answer in answers if answer.status_code == 409)
    assert "Une inscription vient d'être enregistrée pour ce numéro d'adhérent" in page_text(loser)
    winner = next(answer for answer in answers if answer.status_code == 302)
    assert emails[0] == ("helene@example.org" if winner is answers[0] else "helene.bis@example.org")
    assert counts(app) == (1, 1)
    assert len(smtp.messages) == 1


@pytest.fixture
def app_config(app_config, request):
    """Limits on, counted per process; a test may set limits of its own (indirect param)."""
    limits = getattr(request, "param", {})
    return {
        **app_config,
        "IDP_RATELIMIT_ENABLED": True,
        "IDP_RATELIMIT_STORAGE_URL": "memory://",
        **limits,
    }


def test_sign_ups_for_one_member_number_are_limited(app, client, members):
    for _ in range(10):
        assert submit_sign_up(client, birth_date="1980-01-01").status_code == 422
    other_browser = app.test_client()
    response = submit_sign_up(other_browser)  # right data now, but the number is flooded
    assert response.status_code == 429
    assert "Trop de tentatives" in page_text(response)
    assert counts(app) == (0, 0)
    # Another member is not affected.
    assert (
        submit_sign_up(
            client,
            member_number="87654321",
            first_name="Zoé",
            last_name="Cœur",
            birth_date="1992-02-29",
            email="zoe@example.org",
            email_confirm="zoe@example.org",
        ).status_code
        == 302
    )


def test_sign_up_posts_are_limited_per_address(app, client, members):
    for index in range(20):
        number = f"{90000000 + index}"
        assert submit_sign_up(client, member_number=number).status_code == 422
    response = submit_sign_up(client, member_number="87654321")
    assert response.status_code == 429
    assert client.get("/inscription").status_code == 200  # reading the form stays possible


@pytest.mark.parametrize(
    "app_config", [{"IDP_NEW_LINK_LIMIT_PER_SIGN_UP": "2/hour"}], indirect=True
)
def test_the_new_link_limit_set_at_start_up_is_obeyed(app, client, members):
    assert submit_sign_up(client).status_code == 302
    token = csrf_token(client.get("/inscription/email-envoye").get_data(as_text=True))
    answers = [
        client.post("/inscription/nouveau-lien", data={"csrf_token": token}).status_code
        for _ in range(3)
    ]
    assert answers == [302, 302, 429]  # 2 per hour here, not the default 5
    assert counts(app) == (1, 3)  # the refused request mailed nothing


@pytest.mark.parametrize("app_config", [{"IDP_ACTIVATION_LIMIT_PER_IP": "3/hour"}], indirect=True)
def test_the_activation_limit_set_at_start_up_is_obeyed(app, client, members, smtp):
    signed_up = submit_sign_up(client)
    assert signed_up.status_code == 302
    signed_up.close()  # the mail leaves once the response is closed
    path = urlsplit(link_labelled(smtp.messages[-1], "Activer mon compte")).path
    token = csrf_token(client.get(path).get_data(as_text=True))

    def choose(password):
        data = {"csrf_token": token, "password": password, "password_confirm": password}
        return client.post(path, data=data)

    assert [choose("faible").status_code for _ in range(3)] == [422, 422, 422]
    refused = choose("Printemps#2026")  # the right kind of password, one attempt too many
    assert refused.status_code == 429
    assert "Trop de tentatives" in page_text(refused)
    with app.app_context():
        assert db.session.scalars(select(Account.status)).one() == "pending"
