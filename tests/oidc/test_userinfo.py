"""UserInfo (OIDC Core 5.3) and bearer tokens (RFC 6750; OpenID Basic OP:
oidcc-userinfo-get, oidcc-userinfo-post-header, oidcc-userinfo-post-body)."""

from __future__ import annotations

import pytest
import requests

from ..conftest import both_databases
from .conftest import signed_in


@pytest.fixture
def access_token(member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start(scope="openid email"))
    return relying_party.exchange(flow)["access_token"]


@pytest.fixture
def userinfo_url(relying_party):
    return relying_party.config["userinfo_endpoint"]


EXPECTED = {"email": "helene@example.fr", "email_verified": True}


@both_databases
def test_get_with_bearer_header(member, access_token, userinfo_url):
    reply = requests.get(
        userinfo_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )
    assert reply.status_code == 200
    assert reply.json() == {"sub": member["subject"], **EXPECTED}
    assert reply.headers["Cache-Control"] == "no-store"


def test_post_with_bearer_header(member, access_token, userinfo_url):
    reply = requests.post(
        userinfo_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )
    assert reply.status_code == 200 and reply.json()["sub"] == member["subject"]


def test_post_with_token_in_form_body(member, access_token, userinfo_url):
    reply = requests.post(userinfo_url, data={"access_token": access_token}, timeout=10)
    assert reply.status_code == 200 and reply.json()["sub"] == member["subject"]


def test_token_in_header_and_body_is_invalid_request(access_token, userinfo_url):
    reply = requests.post(
        userinfo_url,
        data={"access_token": access_token},
        timeout=10,
        headers={"Authorization": f"Bearer {access_token}"},
    )
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_request"


def test_token_in_query_string_is_refused(access_token, userinfo_url):
    reply = requests.get(userinfo_url, params={"access_token": access_token}, timeout=10)
    assert reply.status_code == 400


def test_missing_token_is_401_with_challenge(userinfo_url):
    reply = requests.get(userinfo_url, timeout=10)
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer nope", "Bearer " + "x" * 5000, "Bearer", "Basic abc", "Bearer \u00e9t\u00e9"]
)
def test_bad_tokens_are_refused(userinfo_url, header):
    reply = requests.get(
        userinfo_url, headers={"Authorization": header.encode("utf-8")}, timeout=10
    )
    assert reply.status_code == 401
    assert "error" in reply.json()


def test_expired_access_token_is_invalid_token(access_token, userinfo_url, clock):
    clock.advance(seconds=601)
    reply = requests.get(
        userinfo_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]


def test_token_without_openid_scope_is_insufficient(member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start(scope="email"))
    token = relying_party.exchange(flow)
    assert "id_token" not in token  # plain OAuth 2.0, no OpenID
    reply = requests.get(
        relying_party.config["userinfo_endpoint"],
        timeout=10,
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert reply.status_code == 403 and reply.json()["error"] == "insufficient_scope"


def test_json_body_is_refused(access_token, userinfo_url):
    reply = requests.post(userinfo_url, json={"access_token": access_token}, timeout=10)
    assert reply.status_code == 400


def test_revoked_access_token_is_invalid_token(relying_party, access_token, userinfo_url):
    requests.post(
        relying_party.config["revocation_endpoint"],
        timeout=10,
        data={"token": access_token},
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    )
    reply = requests.get(
        userinfo_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
    assert reply.headers["Content-Type"].startswith("application/json")


def test_userinfo_is_json(member, access_token, userinfo_url):
    reply = requests.get(
        userinfo_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )
    assert reply.headers["Content-Type"] == "application/json"
