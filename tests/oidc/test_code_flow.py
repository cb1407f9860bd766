"""Authorization code flow end to end (OIDC Core 3.1; OpenID Basic OP: oidcc-server,
oidcc-ensure-request-with-valid-pkce-succeeds, oidcc-id-token-* checks)."""

from __future__ import annotations

import pytest
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
        "sub": member["subject"],
        "given_name": "Hélène",
        "family_name": "Lefèvre-Dupont",
        "name": "Hélène Lefèvre-Dupont",
        "birthdate": "1980-05-17",
        "email": "helene@example.fr",
        "email_verified": True,
        "phone_number": "+33612345678",
        "phone_number_verified": False,
        "member_number": "12345678",
    }


def test_token_response_forbids_caching(member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start())
    code = flow.callback_params()["code"]
    reply = requests.post(
        relying_party.config["token_endpoint"],
        timeout=10,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.session.redirect_uri,
        },
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Pragma"] == "no-cache"
    assert reply.headers["Content-Type"].startswith("application/json")


def _half_hash(value: str) -> str:
    """OIDC Core 3.1.3.6, computed here without Authlib: left half of SHA-256, base64url."""
    import base64
    import hashlib

    half = hashlib.sha256(value.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_id_token_claims_as_a_strict_relying_party_reads_them(
    member, browser, register_client, provider_url, clock, alg
):
    from joserfc import jwt

    from .conftest import RelyingParty

    rp = RelyingParty(provider_url, register_client(id_token_alg=alg), clock)
    signed_in(browser)
    flow = rp.run(browser, rp.start(scope="openid email"))
    token = rp.exchange(flow)
    decoded = jwt.decode(token["id_token"], rp.jwks(), algorithms=[alg])
    claims = decoded.claims
    assert decoded.header["alg"] == alg and decoded.header["typ"] == "JWT"
    assert claims["iss"] == provider_url  # exactly, no trailing slash
    assert claims["aud"] in (rp.client.client_id, [rp.client.client_id])
    assert "azp" not in claims or claims["azp"] == rp.client.client_id
    assert claims["at_hash"] == _half_hash(token["access_token"])
    assert claims["nonce"] == flow.nonce
    assert isinstance(claims["iat"], int) and isinstance(claims["exp"], int)
    assert claims["exp"] > claims["iat"] >= claims["auth_time"]
    assert "c_hash" not in claims  # code flow: the code is not in the ID token
    info = requests.get(
        rp.config["userinfo_endpoint"],
        timeout=10,
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert info.headers["Content-Type"] == "application/json"
    assert info.json()["sub"] == claims["sub"]
