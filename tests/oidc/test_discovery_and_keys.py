"""Discovery, JWKS and key rotation (OpenID Config OP: oidcc-discovery-*, oidcc-jwks-*,
oidcc-id-token-signature, oidcc-idtoken-rs256; rotation per DESIGN section 4)."""

from __future__ import annotations

import json

import pytest
import requests
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oauth2.rfc9207 import AuthorizationServerMetadata as IssMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import JoseError

from idp_extension.oidc import keys
from idp_extension.oidc.commands import rotate_keys_command

from .conftest import RelyingParty, signed_in


def test_discovery_document(provider_url, issuer):
    reply = requests.get(f"{provider_url}/.well-known/openid-configuration", timeout=10)
    assert reply.status_code == 200
    document = reply.json()
    assert document["issuer"] == issuer
    for name, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks.json"),
        ("revocation_endpoint", "/revoke"),
        ("introspection_endpoint", "/introspect"),
        ("end_session_endpoint", "/logout"),
    ]:
        assert document[name] == issuer + path
    assert document["response_types_supported"] == ["code"]
    assert document["subject_types_supported"] == ["public"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert set(document["scopes_supported"]) == {"openid", "profile", "email", "phone", "member"}
    assert {"sub", "email", "member_number", "birthdate"} <= set(document["claims_supported"])
    assert document["prompt_values_supported"] == ["none", "login", "consent", "create"]
    assert document["claims_parameter_supported"] is True
    assert document["request_parameter_supported"] is False
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["ui_locales_supported"] == ["fr", "en"]
    assert set(document["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",
    }
    # Authlib's metadata validators accept it (the issuer's https check is left out: loopback).
    metadata = OpenIDProviderMetadata(document)
    for name in (
        "validate_jwks_uri",
        "validate_response_types_supported",
        "validate_subject_types_supported",
        "validate_id_token_signing_alg_values_supported",
        "validate_claims_parameter_supported",
    ):
        getattr(metadata, name)()
    AuthorizationServerMetadata(document).validate_code_challenge_methods_supported()
    IssMetadata(document).validate_authorization_response_iss_parameter_supported()


def test_jwks_publishes_public_keys_only(provider_url):
    reply = requests.get(f"{provider_url}/jwks.json", timeout=10)
    assert reply.status_code == 200
    keys = reply.json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_id_token_header_names_the_key(member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start())
    token = relying_party.exchange(flow)
    decoded = jwt.decode(token["id_token"], relying_party.jwks())
    kids = [
        k["kid"] for k in requests.get(relying_party.config["jwks_uri"], timeout=10).json()["keys"]
    ]
    assert decoded.header["alg"] == "RS256" and decoded.header["kid"] in kids


def test_es256_for_a_client_that_asks_for_it(member, browser, register_client, provider_url, clock):
    rp = RelyingParty(provider_url, register_client(id_token_alg="ES256"), clock)
    signed_in(browser)
    flow = rp.run(browser, rp.start())
    token = rp.exchange(flow)
    claims = rp.verify_id_token(token["id_token"], flow, token["access_token"])
    assert claims.header["alg"] == "ES256"


@pytest.mark.fresh_signing_keys
def test_rotation_keeps_old_key_until_its_tokens_expire(app, member, browser, relying_party, clock):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start())
    before = relying_party.exchange(flow)
    old_kid = jwt.decode(before["id_token"], relying_party.jwks()).header["kid"]

    result = app.test_cli_runner().invoke(rotate_keys_command, ["--json"])
    assert result.exit_code == 0, result.output
    rotated = json.loads(result.output)
    assert rotated["retired"] == [{"kid": old_kid, "alg": "RS256"}]
    new_kid = rotated["active"][0]["kid"]

    kids = {k["kid"] for k in relying_party.jwks().keys}
    assert kids == {old_kid, new_kid}
    # A token signed before the rotation still verifies against the published set.
    relying_party.verify_id_token(before["id_token"], flow, before["access_token"])
    # New tokens are signed with the new key once every cached JWKS has it (test_key_rotation).
    with app.app_context():
        clock.advance(seconds=keys.publish_delay().total_seconds())
    flow2 = relying_party.run(browser, relying_party.start())
    after = relying_party.exchange(flow2)
    assert jwt.decode(after["id_token"], relying_party.jwks()).header["kid"] == new_kid

    clock.advance(seconds=3600 - 1)
    assert old_kid in {k.kid for k in relying_party.jwks().keys}
    clock.advance(seconds=2)
    assert {k.kid for k in relying_party.jwks().keys} == {new_kid}


@pytest.mark.fresh_signing_keys
def test_rotate_keys_one_line_summary(app):
    result = app.test_cli_runner().invoke(rotate_keys_command, [])
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) == 1
    assert "retired" in result.output


@pytest.mark.fresh_signing_keys
def test_private_keys_are_sealed_in_the_database(app, provider_url):
    from idp_extension.db import db
    from idp_extension.models.keys import SigningKey

    requests.get(f"{provider_url}/jwks.json", timeout=10)
    with app.app_context():
        key = db.session.scalars(db.select(SigningKey)).one()
        assert "PRIVATE KEY" not in key.private_key_sealed
        assert key.created_at == app.extensions["idp"].clock.now()
        assert key.retired_at is None and key.active


def test_every_advertised_endpoint_answers(provider_url):
    document = requests.get(f"{provider_url}/.well-known/openid-configuration", timeout=10).json()
    assert document["issuer"] == provider_url  # no trailing slash, exact
    gets = {
        "jwks_uri": 200,
        "authorization_endpoint": 400,
        "end_session_endpoint": 200,
        "userinfo_endpoint": 401,
    }
    for name, status in gets.items():
        assert requests.get(document[name], timeout=10).status_code == status, name
    for name in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        reply = requests.post(document[name], data={}, timeout=10)
        assert reply.status_code in (400, 401), name
        assert "error" in reply.json()


@pytest.mark.fresh_signing_keys
def test_rotation_of_both_algorithms_keeps_kids_unique_and_public(
    app, member, browser, register_client, provider_url, clock
):
    rp = RelyingParty(provider_url, register_client(id_token_alg="ES256"), clock)
    signed_in(browser)
    rp.exchange(rp.run(browser, rp.start()))  # creates the ES256 key
    for _ in range(2):
        assert app.test_cli_runner().invoke(rotate_keys_command, []).exit_code == 0
    keys = requests.get(f"{provider_url}/jwks.json", timeout=10).json()["keys"]
    kids = [k["kid"] for k in keys]
    # One ES256 key, then a new RS256 and ES256 key per rotation, all still published.
    assert len(kids) == len(set(kids)) == 5
    assert {k["alg"] for k in keys} == {"RS256", "ES256"}
    for key in keys:
        assert key["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(key)
    flow = rp.run(browser, rp.start())
    token = rp.exchange(flow)
    claims = rp.verify_id_token(token["id_token"], flow, token["access_token"])
    assert claims.header["alg"] == "ES256"


@pytest.mark.fresh_signing_keys
def test_a_token_of_a_dropped_key_no_longer_verifies(app, member, browser, relying_party, clock):
    signed_in(browser)
    old = relying_party.exchange(relying_party.run(browser, relying_party.start()))["id_token"]
    assert app.test_cli_runner().invoke(rotate_keys_command, []).exit_code == 0
    with app.app_context():
        clock.advance(seconds=keys.publish_delay().total_seconds() + 3601)
    with pytest.raises((JoseError, ValueError)):
        jwt.decode(old, relying_party.jwks())
    # Nor does the provider accept it as a hint any more.
    reply = browser.get("/logout?id_token_hint=" + old)
    assert reply.status_code == 400 and "Location" not in reply.headers
