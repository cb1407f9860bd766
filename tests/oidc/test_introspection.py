"""Token introspection (RFC 7662): client-authenticated, own tokens only."""

from __future__ import annotations

import pytest
import requests

from .conftest import RelyingParty, signed_in


@pytest.fixture
def tokens(member, browser, relying_party):
    signed_in(browser)
    return relying_party.exchange(
        relying_party.run(browser, relying_party.start(scope="openid email"))
    )


def introspect(rp, token, **extra):
    return requests.post(
        rp.config["introspection_endpoint"],
        timeout=10,
        data={"token": token, **extra},
        auth=(rp.client.client_id, rp.client.client_secret),
    )


def test_active_access_token(member, relying_party, tokens, issuer, clock):
    reply = introspect(relying_party, tokens["access_token"])
    assert reply.status_code == 200
    body = reply.json()
    now = int(clock.now().timestamp())
    assert body == {
        "active": True,
        "client_id": relying_party.client.client_id,
        "token_type": "Bearer",
        "scope": "openid email",
        "sub": member["subject"],
        "aud": relying_party.client.client_id,
        "iss": issuer,
        "exp": now + 600,
        "iat": now,
    }


def test_refresh_token_with_hint(relying_party, tokens, clock):
    body = introspect(
        relying_party, tokens["refresh_token"], token_type_hint="refresh_token"
    ).json()
    assert body["active"] is True
    assert body["exp"] == int(clock.now().timestamp()) + 30 * 86400


def test_expired_revoked_and_unknown_tokens_are_inactive(relying_party, tokens, clock):
    assert introspect(relying_party, "nope").json() == {"active": False}
    clock.advance(seconds=601)
    assert introspect(relying_party, tokens["access_token"]).json() == {"active": False}
    requests.post(
        relying_party.config["revocation_endpoint"],
        timeout=10,
        data={"token": tokens["refresh_token"]},
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    )
    assert introspect(relying_party, tokens["refresh_token"]).json() == {"active": False}


def test_another_client_sees_the_token_inactive(
    relying_party, tokens, register_client, provider_url, clock
):
    other = RelyingParty(provider_url, register_client(name="Autre"), clock)
    assert introspect(other, tokens["access_token"]).json() == {"active": False}


def test_introspection_needs_a_confidential_client(
    relying_party, tokens, register_client, provider_url
):
    url = relying_party.config["introspection_endpoint"]
    anonymous = requests.post(url, data={"token": tokens["access_token"]}, timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
    public = register_client(name="Appli", public=True)
    as_public = requests.post(
        url, data={"token": tokens["access_token"], "client_id": public.client_id}, timeout=10
    )
    assert as_public.status_code == 401


def test_missing_token_is_invalid_request(relying_party):
    reply = requests.post(
        relying_party.config["introspection_endpoint"],
        timeout=10,
        data={},
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    )
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_request"


def test_a_rotated_refresh_token_is_inactive(relying_party, tokens):
    rotated = requests.post(
        relying_party.config["token_endpoint"],
        timeout=10,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    )
    assert rotated.status_code == 200
    assert introspect(relying_party, tokens["refresh_token"]).json() == {"active": False}
    assert introspect(relying_party, rotated.json()["refresh_token"]).json()["active"] is True


def test_introspection_answers_are_never_cached(relying_party, tokens):
    reply = introspect(relying_party, tokens["access_token"])
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Content-Type"].startswith("application/json")
