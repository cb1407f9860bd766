"""Hostile input at every OpenID endpoint: a clear 4xx, never a 500, on SQLite and PostgreSQL."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests

from ..conftest import both_databases
from .conftest import RP_CALLBACK, RP_LOGOUT

NUL_ID = "abc\x00def"


@both_databases
def test_a_nul_byte_in_a_client_id_is_refused_everywhere(provider_url, rp_client):
    base = provider_url
    authorize = requests.get(
        base
        + "/authorize?"
        + urlencode(
            {
                "client_id": NUL_ID,
                "redirect_uri": RP_CALLBACK,
                "response_type": "code",
                "scope": "openid",
            }
        ),
        timeout=10,
        allow_redirects=False,
    )
    assert authorize.status_code == 400
    token = requests.post(
        base + "/token",
        timeout=10,
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "client_id": NUL_ID,
            "client_secret": "s",
        },
    )
    basic = requests.post(
        base + "/token",
        timeout=10,
        auth=(NUL_ID, "s"),
        data={"grant_type": "authorization_code", "code": "x"},
    )
    public = requests.post(
        base + "/token",
        timeout=10,
        data={"grant_type": "authorization_code", "code": "x", "client_id": NUL_ID},
    )
    revoke = requests.post(base + "/revoke", timeout=10, auth=(NUL_ID, "s"), data={"token": "x"})
    introspect = requests.post(
        base + "/introspect", timeout=10, auth=(NUL_ID, "s"), data={"token": "x"}
    )
    for reply in (token, basic, public, revoke, introspect):
        assert reply.status_code in (400, 401), reply.text
        assert reply.json()["error"] == "invalid_client"
    logout = requests.get(
        base + "/logout?" + urlencode({"client_id": NUL_ID, "post_logout_redirect_uri": RP_LOGOUT}),
        timeout=10,
        allow_redirects=False,
    )
    assert 200 <= logout.status_code < 500 and "Location" not in logout.headers


@both_databases
@pytest.mark.parametrize("value", ["x\x00y", "\u00e9\u2028\ufeff", "x" * 100_000])
def test_nul_bytes_and_junk_in_secrets_are_refused(provider_url, rp_client, value):
    auth = (rp_client.client_id, rp_client.client_secret)
    base = provider_url
    replies = [
        requests.post(
            base + "/token",
            timeout=10,
            auth=auth,
            data={"grant_type": "authorization_code", "code": value, "redirect_uri": RP_CALLBACK},
        ),
        requests.post(
            base + "/token",
            timeout=10,
            auth=auth,
            data={"grant_type": "refresh_token", "refresh_token": value},
        ),
        requests.post(base + "/revoke", timeout=10, auth=auth, data={"token": value}),
        requests.post(base + "/introspect", timeout=10, auth=auth, data={"token": value}),
        requests.post(base + "/userinfo", timeout=10, data={"access_token": value}),
    ]
    for reply in replies:
        assert reply.status_code < 500, reply.text[:300]


@both_databases
@pytest.mark.parametrize("name", ["nonce", "state", "login_hint", "acr_values", "ui_locales"])
def test_control_characters_in_authorization_parameters_are_invalid_request(
    member, browser, rp_client, issuer, name
):
    from .conftest import signed_in

    signed_in(browser)
    params = {
        "response_type": "code",
        "client_id": rp_client.client_id,
        "redirect_uri": rp_client.redirect_uri,
        "scope": "openid",
        "state": "s",
        "nonce": "n",
    }
    params[name] = "a\x00b" if name != "state" else "a\x01b"
    reply = browser.get("/authorize?" + urlencode(params))
    assert reply.status_code == 302, reply.text[:300]
    assert reply.headers["Location"].startswith(RP_CALLBACK + "?")
    assert "error=invalid_request" in reply.headers["Location"]
    assert "code=" not in reply.headers["Location"]
