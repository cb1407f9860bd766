"""Withdrawing a consent from the account page ("Applications autorisées"): the client's
tokens stop working at once (RFC 6749 5.2 invalid_grant at /token, RFC 6750 invalid_token at
/userinfo) and its next authorization asks the member again (OIDC Core 3.1.2.4)."""

from __future__ import annotations

import html
import re

import pytest
import requests
from sqlalchemy import select

from idp_extension.db import db
from idp_extension.models import AuditEvent
from idp_extension.models.oauth import Consent

from ..conftest import both_databases, csrf_token
from .conftest import Browser, RelyingParty, make_account, signed_in
from .test_consent import answer

WITHDRAW = "/autorisations/retirer"


@pytest.fixture
def pharmacy(register_client, provider_url, clock):
    client = register_client(name="Pharmacie partenaire", first_party=False)
    return RelyingParty(provider_url, client, clock)


@pytest.fixture
def optician(register_client, provider_url, clock):
    client = register_client(name="Opticien partenaire", first_party=False)
    return RelyingParty(provider_url, client, clock)


def consented_tokens(browser, rp, scope="openid email member") -> dict:
    """Authorize ``rp``, pressing Autoriser if the consent page shows; the tokens it gets."""
    flow = rp.start(scope=scope)
    first = browser.get(flow.url)
    if first.status_code == 200:
        assert ">Autoriser<" in first.text
        flow.callback = answer(browser, first, "allow").headers["Location"]
    else:
        flow.callback = browser.follow(first, stop_at=rp.client.redirect_uri)
    assert flow.callback.startswith(rp.client.redirect_uri)
    return rp.exchange(flow)


def refresh(rp, refresh_token) -> requests.Response:
    return requests.post(
        rp.config["token_endpoint"],
        timeout=10,
        auth=(rp.client.client_id, rp.client.client_secret),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
    )


def userinfo(rp, access_token) -> requests.Response:
    return requests.get(
        rp.config["userinfo_endpoint"],
        timeout=10,
        headers={"Authorization": f"Bearer {access_token}"},
    )


def applications_section(page) -> str:
    """The "Applications autorisées" section as a reader sees it."""
    section = page.text.split('<h2 id="applications">', 1)[1]
    section = section.split('action="/deconnexion"', 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())


def withdraw(browser, client_id, form_page="/"):
    page = browser.get(form_page)
    return browser.post(
        WITHDRAW, data={"csrf_token": csrf_token(page.text), "client_id": client_id}
    )


def consents(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [
            (consent.account_id, consent.client.name)
            for consent in db.session.scalars(select(Consent).order_by(Consent.id))
        ]


def audit(app, name) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).filter_by(event=name)))
        db.session.expunge_all()
        return found


@both_databases
def test_withdrawal_kills_the_clients_tokens_and_consent_is_asked_again(
    app, member, browser, pharmacy, optician, relying_party
):
    signed_in(browser)
    first = consented_tokens(browser, pharmacy)
    second = consented_tokens(browser, pharmacy, scope="openid email")  # remembered: no page
    glasses = consented_tokens(browser, optician, scope="openid profile")
    portal = consented_tokens(browser, relying_party)  # first-party: never asks
    assert userinfo(pharmacy, first["access_token"]).status_code == 200

    listed = applications_section(browser.get("/"))
    assert "Pharmacie partenaire" in listed and "Opticien partenaire" in listed
    assert "Portail adhérent" not in listed  # first-party clients are not "authorised"
    pharmacy_part = listed.split("Pharmacie partenaire", 1)[1]
    assert "Votre adresse email" in pharmacy_part and "Votre numéro d'adhérent" in pharmacy_part
    assert "Retirer l'autorisation donnée à Pharmacie partenaire" in listed
    assert "Retirer l'autorisation donnée à Opticien partenaire" in listed

    response = withdraw(browser, pharmacy.client.client_id)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/#applications")
    page = browser.get("/")
    assert "L'autorisation donnée à Pharmacie partenaire est retirée." in html.unescape(page.text)
    listed = applications_section(page)
    assert "Pharmacie partenaire" not in listed and "Opticien partenaire" in listed

    # Every token the pharmacy held for this member is dead, refresh and access alike.
    for grant in (first, second):
        answer_ = refresh(pharmacy, grant["refresh_token"])
        assert answer_.status_code == 400 and answer_.json()["error"] == "invalid_grant"
        denied = userinfo(pharmacy, grant["access_token"])
        assert denied.status_code == 401
        assert 'error="invalid_token"' in denied.headers["WWW-Authenticate"]
    # The other applications keep theirs.
    assert userinfo(optician, glasses["access_token"]).status_code == 200
    assert refresh(optician, glasses["refresh_token"]).status_code == 200
    assert userinfo(relying_party, portal["access_token"]).status_code == 200

    # The pharmacy's next authorization shows the consent page again.
    again = browser.get(pharmacy.start(scope="openid email member").url)
    assert again.status_code == 200 and "Pharmacie partenaire" in again.text
    assert ">Autoriser<" in again.text

    (event,) = audit(app, "consent_withdrawn")
    assert event.account_id == member["id"]
    assert event.client_id == pharmacy.client.client_id
    assert event.details == {"tokens_revoked": 2}
    assert consents(app) == [(member["id"], "Opticien partenaire")]


def test_a_code_not_yet_exchanged_dies_with_the_consent(member, browser, pharmacy):
    signed_in(browser)
    consented_tokens(browser, pharmacy)
    flow = pharmacy.run(browser, pharmacy.start(scope="openid email member"))
    assert "code" in flow.callback_params()
    assert withdraw(browser, pharmacy.client.client_id).status_code == 302

    late = requests.post(
        pharmacy.config["token_endpoint"],
        timeout=10,
        auth=(pharmacy.client.client_id, pharmacy.client.client_secret),
        data={
            "grant_type": "authorization_code",
            "code": flow.callback_params()["code"],
            "redirect_uri": pharmacy.client.redirect_uri,
        },
    )
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_nobody_withdraws_what_is_not_theirs(app, member, browser, pharmacy, provider_url):
    signed_in(browser)
    tokens = consented_tokens(browser, pharmacy)
    make_account(app, email="paul@example.fr", member_number="87654321")
    paul = signed_in(Browser(provider_url), "paul@example.fr")
    refused = withdraw(paul, pharmacy.client.client_id)
    assert refused.status_code == 404
    assert "Cette application n'a pas, ou plus, votre autorisation." in html.unescape(refused.text)
    assert consents(app) == [(member["id"], "Pharmacie partenaire")]
    assert userinfo(pharmacy, tokens["access_token"]).status_code == 200
    assert audit(app, "consent_withdrawn") == []


def test_bad_requests_change_nothing(app, member, browser, pharmacy):
    signed_in(browser)
    tokens = consented_tokens(browser, pharmacy)
    client_id = pharmacy.client.client_id

    no_csrf = browser.post(WITHDRAW, data={"client_id": client_id})
    assert no_csrf.status_code == 400
    assert "formulaire n'est plus valide" in html.unescape(no_csrf.text)
    for bad in ("", "\x00" + client_id, "x" * 65, "é" * 10, client_id + "\n"):
        assert withdraw(browser, bad).status_code == 400, repr(bad)
    assert withdraw(browser, "no-such-client").status_code == 404
    assert consents(app) == [(member["id"], "Pharmacie partenaire")]
    assert userinfo(pharmacy, tokens["access_token"]).status_code == 200

    # Withdrawn once; the same button pressed again (a second tab, a double click) is a 404.
    assert withdraw(browser, client_id).status_code == 302
    assert withdraw(browser, client_id).status_code == 404
    assert len(audit(app, "consent_withdrawn")) == 1


def test_signed_out_nothing_is_withdrawn(app, member, browser, pharmacy, provider_url):
    signed_in(browser)
    consented_tokens(browser, pharmacy)
    stranger = Browser(provider_url)
    response = withdraw(stranger, pharmacy.client.client_id, form_page="/connexion")
    assert response.status_code == 302 and response.headers["Location"].endswith("/connexion")
    assert consents(app) == [(member["id"], "Pharmacie partenaire")]


def test_no_application_authorised_yet(member, browser):
    signed_in(browser)
    assert "Vous n'avez autorisé aucune application partenaire." in applications_section(
        browser.get("/")
    )
