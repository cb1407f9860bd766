"""Registering relying parties: ``flask idp create-client`` and the service behind it."""

from __future__ import annotations

import json

import pytest

from idp_extension.db import db
from idp_extension.models import AuditEvent
from idp_extension.models.oauth import OAuthClient
from idp_extension.oidc.clients import ClientRegistrationError, create_client
from idp_extension.oidc.commands import create_client_command
from idp_extension.security.tokens import digest


def run(app, *args):
    return app.test_cli_runner().invoke(create_client_command, list(args))


def test_create_client_prints_id_and_secret_once_and_stores_a_digest(app):
    result = run(
        app,
        "Portail",
        "--redirect-uri",
        "https://portail.example/cb",
        "--redirect-uri",
        "https://portail.example/cb2",
        "--post-logout-uri",
        "https://portail.example/",
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    with app.app_context():
        client = db.session.scalars(db.select(OAuthClient)).one()
        assert client.client_id == data["client_id"]
        assert client.client_secret_digest == digest(data["client_secret"])
        assert data["client_secret"] not in json.dumps(
            [e.details for e in db.session.scalars(db.select(AuditEvent))]
        )
        assert client.redirect_uris == ["https://portail.example/cb", "https://portail.example/cb2"]
        assert client.post_logout_redirect_uris == ["https://portail.example/"]
        assert client.token_endpoint_auth_method == "client_secret_basic"
        assert client.scopes == ["openid", "profile", "email", "phone", "member"]
        assert not client.first_party and not client.is_public
        assert client.check_client_secret(data["client_secret"])
        assert not client.check_client_secret(data["client_secret"] + "x")


def test_one_line_summary(app):
    result = run(
        app,
        "Appli",
        "--redirect-uri",
        "http://localhost:8080/cb",
        "--public",
        "--first-party",
        "--scope",
        "openid",
        "--scope",
        "email",
    )
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) == 1
    assert "client_secret" not in result.output
    with app.app_context():
        client = db.session.scalars(db.select(OAuthClient)).one()
        assert client.is_public and client.token_endpoint_auth_method == "none"
        assert client.client_secret_digest is None
        assert client.scopes == ["openid", "email"] and client.first_party


@pytest.mark.parametrize(
    "uri",
    [
        "portail.example/cb",
        "https://portail.example/cb#frag",
        "http://portail.example/cb",
        "ftp://portail.example/cb",
        "javascript:alert(1)",
        "https:///cb",
    ],
)
def test_bad_redirect_uris_are_refused(app, uri):
    result = run(app, "Portail", "--redirect-uri", uri)
    assert result.exit_code == 2
    assert "redirect URI" in result.output or "URL" in result.output
    with app.app_context():
        assert db.session.scalars(db.select(OAuthClient)).first() is None


def test_service_validates_scopes_and_methods(app):
    with app.app_context():
        with pytest.raises(ClientRegistrationError):
            create_client("P", ["https://p.example/cb"], scopes=["admin"])
        with pytest.raises(ClientRegistrationError):
            create_client("P", ["https://p.example/cb"], auth_method="private_key_jwt")
        with pytest.raises(ClientRegistrationError):
            create_client("", ["https://p.example/cb"])
        with pytest.raises(ClientRegistrationError):
            create_client("P", [])
        client, secret = create_client(
            "P", ["https://p.example/cb"], scopes=["email"], auth_method="client_secret_post"
        )
        assert client.scopes == ["openid", "email"]
        assert client.token_endpoint_auth_method == "client_secret_post" and secret
