"""Login: one answer for every failure, lockout, rehash, where the member lands afterwards."""

import re

import pytest
from sqlalchemy import select

from idp_extension.db import db
from idp_extension.models import AccountStatus, AuditEvent
from idp_extension.security.passwords import PasswordHashing

from ..conftest import both_databases, csrf_token, page_text
from .helpers import PASSWORD, get_account, login, make_account

GENERIC_FAILURE = "Adresse email ou mot de passe incorrect."
PAUSED = "La connexion est suspendue pour cette adresse pendant 15 minutes."


def failure_block(response) -> str:
    found = re.search(r'<div class="error-summary".*?</div>', page_text(response), re.S)
    assert found, "the page shows no error summary"
    return found.group(0)


def audit_events(app, event):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.event == event)))


def test_login_page_has_the_contract_labels_and_links(client):
    page = page_text(client.get("/connexion"))
    assert '<label class="label" for="email">Adresse email</label>' in page
    assert '<label class="label" for="password">Mot de passe</label>' in page
    assert '<button type="submit" class="button">Se connecter</button>' in page
    assert ">Mot de passe oublié ?</a>" in page
    assert re.search(r'href="/inscription"[^>]*>Créer mon espace client</a>', page)
    assert 'autocomplete="current-password"' in page


@both_databases
def test_correct_password_signs_in_and_lands_on_home(app, client, member_account):
    response = login(client, "helene@example.org", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = page_text(client.get("/"))
    assert "Bonjour Hélène" in home
    assert "helene@example.org" in home
    assert len(audit_events(app, "login_succeeded")) == 1


def test_email_is_matched_whatever_its_case(client, member_account):
    response = login(client, "  Helene@Example.ORG ", PASSWORD)
    assert response.status_code == 302


@both_databases
def test_every_failure_gives_the_same_answer(app, client, clock, member_account):
    make_account(app, clock, email="pending@example.org", status=AccountStatus.PENDING)
    make_account(app, clock, email="closed@example.org", status=AccountStatus.DISABLED)
    answers = [
        login(client, "helene@example.org", "Wrong#Pass1"),
        login(client, "nobody@example.org", PASSWORD),
        login(client, "pending@example.org", PASSWORD),
        login(client, "closed@example.org", PASSWORD),
    ]
    assert {response.status_code for response in answers} == {422}
    blocks = {failure_block(response) for response in answers}
    assert len(blocks) == 1
    (block,) = blocks
    assert GENERIC_FAILURE in block
    # The way out for a member whose account was never activated, offered to everyone.
    assert "Lien d'activation jamais reçu ou expiré ?" in block
    assert client.get("/").status_code == 302  # nobody signed in
    reasons = sorted(e.details["reason"] for e in audit_events(app, "login_failed"))
    assert reasons == ["account_disabled", "account_pending", "unknown_email", "wrong_password"]


def test_failed_login_keeps_the_email_not_the_password(client, member_account):
    response = login(client, "helene@example.org", "Wrong#Pass1")
    page = page_text(response)
    assert 'value="helene@example.org"' in page
    assert "Wrong#Pass1" not in page


def test_empty_or_malformed_fields_get_their_own_message(client):
    response = login(client, "not-an-address", "")
    assert response.status_code == 422
    page = page_text(response)
    assert "Saisissez une adresse email valide" in page
    assert "Saisissez votre mot de passe." in page
    assert 'aria-describedby="password-error"' in page


def test_missing_csrf_token_is_refused(client, member_account):
    response = client.post("/connexion", data={"email": "helene@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "formulaire n'est plus valide" in page_text(response)
    assert client.get("/").status_code == 302


def test_oversized_and_broken_input_is_a_4xx(client, member_account):
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    huge = client.post(
        "/connexion",
        data={"csrf_token": token, "email": "a" * 300 + "@x.fr", "password": "p" * 5000},
    )
    assert huge.status_code == 422
    assert "L'adresse email est trop longue." in page_text(huge)
    broken = client.post(
        "/connexion",
        data=b"csrf_token=" + token.encode() + b"&email=%FF%FE&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert 400 <= broken.status_code < 500


def test_lockout_after_threshold_then_unlocked_when_time_passes(app, client, clock, member_account):
    threshold = app.config["IDP_LOCKOUT_THRESHOLD"]
    for _ in range(threshold):
        assert login(client, "helene@example.org", "Wrong#Pass1").status_code == 422
    assert len(audit_events(app, "account_locked")) == 1

    # Paused: even the right password does not get in, and the answer says why and for how long.
    locked = login(client, "helene@example.org", PASSWORD)
    assert locked.status_code == 422
    assert PAUSED in failure_block(locked)
    assert "Mot de passe oublié ?" in failure_block(locked)

    clock.advance(seconds=app.config["IDP_LOCKOUT_SECONDS"] - 1)
    assert login(client, "helene@example.org", PASSWORD).status_code == 422
    clock.advance(seconds=2)
    assert login(client, "helene@example.org", PASSWORD).status_code == 302
    account = get_account(app, member_account)
    assert account.failed_logins == 0 and account.locked_until is None


def test_the_threshold_answer_is_the_same_with_or_without_an_account(app, clock, member_account):
    """No oracle: an address without an account is paused exactly like one with an account,
    and while paused the right password gets the very same page as a wrong one."""
    threshold = app.config["IDP_LOCKOUT_THRESHOLD"]
    pages = {}
    for address in ("helene@example.org", "nobody@example.org"):
        browser = app.test_client()
        answers = [login(browser, address, "Wrong#Pass1") for _ in range(threshold)]
        assert GENERIC_FAILURE in failure_block(answers[0])
        assert "suspendue pour cette adresse pendant 15 minutes" in failure_block(answers[0])
        pages[address] = failure_block(answers[-1])
        assert PAUSED in pages[address]
        right = login(browser, address, PASSWORD)
        wrong = login(browser, address, "Wrong#Pass1")
        assert right.status_code == wrong.status_code == 422
        assert failure_block(right) == failure_block(wrong) == pages[address]
    assert pages["helene@example.org"] == pages["nobody@example.org"]
    assert re.search(
        r'href="/mot-de-passe-oublie"[^>]*>Mot de passe oublié \?</a>', pages["nobody@example.org"]
    )


def test_success_resets_the_failure_count(app, client, member_account):
    threshold = app.config["IDP_LOCKOUT_THRESHOLD"]
    for _ in range(threshold - 1):
        login(client, "helene@example.org", "Wrong#Pass1")
    assert login(client, "helene@example.org", PASSWORD).status_code == 302
    for _ in range(threshold - 1):
        login(client, "helene@example.org", "Wrong#Pass1")
    # Had the count not been reset, the account would be locked by now.
    assert login(client, "helene@example.org", PASSWORD).status_code == 302


def test_password_is_rehashed_when_argon2_parameters_change(app, client, member_account):
    before = get_account(app, member_account).password_hash
    assert "m=1024,t=1" in before
    app.extensions["idp"].passwords = PasswordHashing(time_cost=2, memory_cost=2048, parallelism=1)
    assert login(client, "helene@example.org", PASSWORD).status_code == 302
    after = get_account(app, member_account).password_hash
    assert "m=2048,t=2" in after
    # The member's password still works with the new hash.
    other = app.test_client()
    assert login(other, "helene@example.org", PASSWORD).status_code == 302


def test_next_parameter_only_for_local_urls(client, member_account):
    local = login(client, "helene@example.org", PASSWORD, path="/connexion?next=/admin/")
    assert local.headers["Location"] == "/admin/"
    for outside in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = login(client, "helene@example.org", PASSWORD, path=f"/connexion?next={outside}")
        assert response.headers["Location"] == "/"


def test_login_returns_to_the_pending_authorization(client, member_account):
    pending = "/authorize?client_id=portal&response_type=code&state=xyz"
    with client.session_transaction() as session:
        session["next"] = pending
    response = login(client, "helene@example.org", PASSWORD)
    assert response.headers["Location"] == pending


def test_login_hint_prefills_the_email(client):
    page = page_text(client.get("/connexion?login_hint=helene@example.org"))
    assert 'value="helene@example.org"' in page


def test_login_page_reauthenticates_a_signed_in_member(app, client, clock, member_account):
    login(client, "helene@example.org", PASSWORD)
    with client.session_transaction() as session:
        first_auth_time = session["auth_time"]
    page = client.get("/connexion")
    assert page.status_code == 200
    assert "Votre session est ouverte avec l'adresse helene@example.org" in page_text(page)
    clock.advance(minutes=10)
    assert login(client, "helene@example.org", PASSWORD).status_code == 302
    with client.session_transaction() as session:
        assert session["auth_time"] == first_auth_time + 600


def test_sign_in_replaces_the_previous_session_content(client, member_account):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "helene@example.org", PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "IDP_RATELIMIT_ENABLED": True,
            "IDP_LOGIN_LIMIT_PER_EMAIL": "3/hour",
            "IDP_LOGIN_LIMIT_PER_IP": "100/minute",
        }
    ],
    indirect=True,
    ids=["limits"],
)
def test_attempts_per_address_are_rate_limited(client, member_account):
    for _ in range(3):
        assert login(client, "helene@example.org", "Wrong#Pass1").status_code == 422
    response = login(client, "HELENE@example.org", PASSWORD)
    assert response.status_code == 429
    assert "Trop de tentatives" in page_text(response)
    # Another address from the same browser is still served.
    assert login(client, "other@example.org", PASSWORD).status_code == 422


@pytest.mark.parametrize(
    "app_config",
    [{"IDP_RATELIMIT_ENABLED": True, "IDP_LOGIN_LIMIT_PER_IP": "2/minute"}],
    indirect=True,
    ids=["limits"],
)
def test_attempts_per_ip_are_rate_limited(client):
    for number in range(2):
        assert login(client, f"n{number}@example.org", PASSWORD).status_code == 422
    assert login(client, "n3@example.org", PASSWORD).status_code == 429
    # Reading the page is not limited.
    assert client.get("/connexion").status_code == 200
