"""Token revocation (RFC 7009)."""

from __future__ import annotations

import pytest
import requests

from .conftest import RelyingParty, signed_in


@pytest.fixture
def tokens(member, browser, relying_party):
    signed_in(browser)
    return relying_party.exchange(relying_party.run(browser, relying_party.start()))


def revoke(rp, token, hint=None, auth=True):
    data = {"token": token}
    if hint:
        data["token_type_hint"] = hint
    kwargs = {"auth": (rp.client.client_id, rp.client.client_secret)} if auth else {}
    return requests.post(rp.config["revocation_endpoint"], data=data, timeout=10, **kwargs)


def userinfo_status(rp, access_token):
    return requests.get(
        rp.config["userinfo_endpoint"],
        timeout=10,
        headers={"Authorization": f"Bearer {access_token}"},
    ).status_code


def test_revoking_an_access_token(relying_party, tokens):
    reply = revoke(relying_party, tokens["access_token"], "access_token")
    assert reply.status_code == 200
    assert userinfo_status(relying_party, tokens["access_token"]) == 401


def test_revoking_a_refresh_token_revokes_its_access_tokens(relying_party, tokens):
    assert revoke(relying_party, tokens["refresh_token"]).status_code == 200
    assert userinfo_status(relying_party, tokens["access_token"]) == 401
    reply = requests.post(
        relying_party.config["token_endpoint"],
        timeout=10,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    )
    assert reply.json()["error"] == "invalid_grant"


def test_unknown_token_is_answered_200(relying_party, tokens):
    assert revoke(relying_party, "not-a-token").status_code == 200
    assert revoke(relying_party, "x" * 5000).status_code == 200


def test_revocation_needs_client_authentication(relying_party, tokens):
    reply = revoke(relying_party, tokens["access_token"], auth=False)
    assert reply.status_code in (400, 401) and reply.json()["error"] == "invalid_client"
    assert userinfo_status(relying_party, tokens["access_token"]) == 200


def test_a_client_cannot_revoke_another_clients_token(
    relying_party, tokens, register_client, provider_url, clock
):
    other = RelyingParty(provider_url, register_client(name="Autre"), clock)
    # RFC 7009 2.2: answered exactly as an unknown token, so the other client cannot tell
    # that the token exists (it was answered invalid_grant), and nothing is revoked.
    unknown = revoke(other, "not-a-token")
    for hint in (None, "access_token", "refresh_token"):
        reply = revoke(other, tokens["access_token"], hint)
        assert (reply.status_code, reply.content) == (unknown.status_code, unknown.content)
        assert reply.status_code == 200
        reply = revoke(other, tokens["refresh_token"], hint)
        assert (reply.status_code, reply.content) == (unknown.status_code, unknown.content)
    assert userinfo_status(relying_party, tokens["access_token"]) == 200
    refreshed = requests.post(
        relying_party.config["token_endpoint"],
        timeout=10,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    )
    assert refreshed.status_code == 200


@pytest.mark.parametrize(
    "data, error",
    [
        ({}, "invalid_request"),
        ({"token": "a", "token_type_hint": "id_token"}, "unsupported_token_type"),
    ],
)
def test_bad_revocation_requests(relying_party, data, error):
    reply = requests.post(
        relying_party.config["revocation_endpoint"],
        data=data,
        timeout=10,
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    )
    assert 400 <= reply.status_code < 500 and reply.json()["error"] == error


def test_revocation_refuses_json_and_duplicates(relying_party, tokens):
    auth = (relying_party.client.client_id, relying_party.client.client_secret)
    url = relying_party.config["revocation_endpoint"]
    assert requests.post(url, json={"token": "a"}, auth=auth, timeout=10).status_code == 400
    dup = requests.post(url, data=[("token", "a"), ("token", "b")], auth=auth, timeout=10)
    assert dup.status_code == 400 and dup.json()["error"] == "invalid_request"


def test_revocation_answers_are_never_cached(relying_party, tokens):
    reply = revoke(relying_party, tokens["access_token"])
    assert reply.headers["Cache-Control"] == "no-store"
    refused = revoke(relying_party, tokens["access_token"], auth=False)
    assert refused.headers["Cache-Control"] == "no-store"


def test_revoking_with_a_wrong_hint_still_revokes(relying_party, tokens):
    assert revoke(relying_party, tokens["access_token"], "refresh_token").status_code == 200
    assert userinfo_status(relying_party, tokens["access_token"]) == 401


def test_revoking_an_access_token_ends_the_refresh_token_issued_with_it(relying_party, tokens):
    """RFC 7009 2.1 allows it: a client that drops the access token is done with the grant."""
    revoke(relying_party, tokens["access_token"])
    reply = requests.post(
        relying_party.config["token_endpoint"],
        timeout=10,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    )
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"


def test_a_public_client_revokes_its_own_token(
    member, browser, register_client, provider_url, clock
):
    rp = RelyingParty(provider_url, register_client(name="Appli", public=True), clock)
    signed_in(browser)
    token = rp.exchange(rp.run(browser, rp.start()))
    reply = requests.post(
        rp.config["revocation_endpoint"],
        timeout=10,
        data={"token": token["refresh_token"], "client_id": rp.client.client_id},
    )
    assert reply.status_code == 200
    assert userinfo_status(rp, token["access_token"]) == 401
