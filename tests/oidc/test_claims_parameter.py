"""Claims asked for by name with the ``claims`` parameter (OIDC Core 5.5): returned when the
member's consent covers them, listed on the consent page, never beyond what the client may
receive."""

from __future__ import annotations

import json

import requests

from .conftest import RelyingParty, signed_in
from .test_consent import answer

ESSENTIAL_NAME = json.dumps({"userinfo": {"name": {"essential": True}}})


def userinfo(rp: RelyingParty, access_token: str) -> dict:
    reply = requests.get(
        rp.config["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_an_essential_name_with_scope_openid_is_returned_once_consented(
    member, browser, register_client, provider_url, clock
):
    third_party = RelyingParty(
        provider_url, register_client(name="Pharmacie partenaire", first_party=False), clock
    )
    signed_in(browser)
    flow = third_party.start(scope="openid", claims=ESSENTIAL_NAME)
    page = browser.get(flow.url)
    assert page.status_code == 200
    # The consent page lists the claim asked for by name, not the whole profile scope.
    assert "Vos prénom et nom" in page.text
    assert "Vos nom, prénom et date de naissance" not in page.text
    flow.callback = answer(browser, page, "allow").headers["Location"]
    tokens = third_party.exchange(flow)
    claims = userinfo(third_party, tokens["access_token"])
    assert claims["name"] == "Hélène Lefèvre-Dupont"
    assert set(claims) == {"sub", "name"}  # nothing else of the profile

    # Remembered: the same request needs no page, and still gets the name.
    again = third_party.run(browser, third_party.start(scope="openid", claims=ESSENTIAL_NAME))
    assert userinfo(third_party, third_party.exchange(again)["access_token"])["name"]


def test_a_first_party_client_gets_the_claim_and_nothing_its_scopes_forbid(
    member, browser, register_client, provider_url, clock
):
    portal = RelyingParty(provider_url, register_client(scopes=["openid", "email"]), clock)
    signed_in(browser)
    asked = json.dumps(
        {"userinfo": {"email": None, "member_number": {"essential": True}, "name": None}}
    )
    flow = portal.run(browser, portal.start(scope="openid", claims=asked))
    claims = userinfo(portal, portal.exchange(flow)["access_token"])
    # email: the client may have the email scope; member_number and name: it may not.
    assert set(claims) == {"sub", "email"}
