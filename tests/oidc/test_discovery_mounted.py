"""Discovery when the provider is mounted under a path (SCRIPT_NAME, e.g. gunicorn behind a
proxy serving https://idp.example/idp): the issuer names the mount, so endpoints must not
name it twice (OpenID Connect Discovery 1.0 section 4)."""

from __future__ import annotations

import pytest

ISSUER = "https://idp.example/idp"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_ISSUER": ISSUER, "SERVER_NAME": "idp.example"}


def test_endpoints_under_a_mounted_issuer(app):
    client = app.test_client()
    reply = client.get("/.well-known/openid-configuration", base_url=ISSUER)
    document = reply.get_json()
    assert document["issuer"] == ISSUER
    assert document["authorization_endpoint"] == ISSUER + "/authorize"
    assert document["jwks_uri"] == ISSUER + "/jwks.json"
    assert document["end_session_endpoint"] == ISSUER + "/logout"
    # Each advertised URL is served where it says.
    for name in ("jwks_uri", "authorization_endpoint"):
        path = document[name][len(ISSUER) :]
        assert client.get(path, base_url=ISSUER).status_code < 404


def test_endpoints_when_the_proxy_strips_the_path(app):
    reply = app.test_client().get(
        "/.well-known/openid-configuration", base_url="https://idp.example"
    )
    assert reply.get_json()["token_endpoint"] == ISSUER + "/token"
