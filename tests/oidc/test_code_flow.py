"""Authorization code flow end to end (OIDC Core 3.1; OpenID Basic OP: oidcc-server,
oidcc-ensure-request-with-valid-pkce-succeeds, oidcc-id-token-* checks)."""

from __future__ import annotations

import requests
from authlib.oidc.core import UserInfo

from ..conftest import both_databases
from .conftest import signed_in


@both_databases
def test_code_flow_gives_verified_id_token_and_userinfo(member, browser, relying_party, clock):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start())
    params = flow.callback_params()
    assert params["state"] == flow.state
    assert params["iss"] == relying_party.base  # RFC 9207

    token = relying_party.exchange(flow)
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 600
    assert token["refresh_token"]
    claims = relying_party.verify_id_token(token["id_token"], flow, token["access_token"])
    assert claims["sub"] == member["subject"]
    assert claims["nonce"] == flow.nonce
    assert claims["at_hash"]
    now = int(clock.now().timestamp())
    assert claims["iat"] == now and claims["exp"] == now + 3600
    assert claims["auth_time"] == now
    assert claims["amr"] == ["pwd"]
    # Profile claims live at the UserInfo endpoint, not in the ID token (OIDC Core 5.4).
    assert "email" not in claims and "member_number" not in claims

    info = flow.session.get(relying_party.config["userinfo_endpoint"], timeout=10).json()
    assert UserInfo(info)["sub"] == member["subject"]
    assert info == {
        "sub": member["subject"], "given_name": "Hélène", "family_name": "Lefèvre-Dupont",
        "name": "Hélène Lefèvre-Dupont", "birthdate": "1980-05-17",
        "email": "helene@example.fr", "email_verified": True,
        "phone_number": "+33612345678", "phone_number_verified": False,
        "member_number": "12345678",
    }


def test_token_response_forbids_caching(member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start())
    code = flow.callback_params()["code"]
    reply = requests.post(relying_party.config["token_endpoint"], timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": flow.session.redirect_uri,
    }, auth=(relying_party.client.client_id, relying_party.client.client_secret))
    assert reply.status_code == 200, reply.text
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Pragma"] == "no-cache"
    assert reply.headers["Content-Type"].startswith("application/json")
