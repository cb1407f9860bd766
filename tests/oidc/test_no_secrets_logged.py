"""No code, token or secret reaches the provider's logs or its database in clear, even at DEBUG
level (DESIGN section 5; STYLE "Security habits")."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from sqlalchemy import text

from idp_extension.db import db

from ..conftest import both_databases
from .conftest import signed_in


def test_codes_and_tokens_never_logged(member, browser, relying_party, caplog):
    with caplog.at_level(logging.DEBUG):
        signed_in(browser)
        flow = relying_party.run(browser, relying_party.start())
        token = relying_party.exchange(flow)
    secrets = [
        flow.callback_params()["code"],
        token["access_token"],
        token["refresh_token"],
        relying_party.client.client_secret,
        token["id_token"],
    ]
    logged = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("urllib3")
    )
    assert "/authorize" in logged  # the provider's request lines were captured
    for secret in secrets:
        assert secret not in logged


def test_no_secret_logged_by_refresh_revocation_introspection_and_logout(
    member, browser, relying_party, caplog
):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start())
    first = relying_party.exchange(flow)
    auth = (relying_party.client.client_id, relying_party.client.client_secret)
    config = relying_party.config
    with caplog.at_level(logging.DEBUG):
        second = requests.post(
            config["token_endpoint"],
            auth=auth,
            timeout=10,
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        ).json()
        # A replay (reuse detection writes an audit event and revokes the family).
        requests.post(
            config["token_endpoint"],
            auth=auth,
            timeout=10,
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        )
        requests.post(
            config["introspection_endpoint"],
            auth=auth,
            timeout=10,
            data={"token": second["access_token"]},
        )
        requests.get(
            config["userinfo_endpoint"],
            timeout=10,
            headers={"Authorization": f"Bearer {second['access_token']}"},
        )
        requests.post(
            config["revocation_endpoint"],
            auth=auth,
            timeout=10,
            data={"token": second["refresh_token"]},
        )
        # Secrets that a careless RP puts in a URL are redacted from the request line.
        browser.get(
            "/authorize?"
            + urlencode(
                {
                    "client_id": relying_party.client.client_id,
                    "response_type": "code",
                    "redirect_uri": relying_party.client.redirect_uri,
                    "scope": "openid",
                    "id_token_hint": first["id_token"],
                    "prompt": "none",
                }
            )
        )
        browser.get(
            "/logout?"
            + urlencode(
                {"id_token_hint": first["id_token"], "client_id": relying_party.client.client_id}
            )
        )
    # The provider's own records; urllib3's are the test client's, not the provider's.
    logged = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("urllib3")
    )
    assert "/logout" in logged and "/authorize" in logged
    for secret in (
        first["refresh_token"],
        first["access_token"],
        first["id_token"],
        second["access_token"],
        second["refresh_token"],
        relying_party.client.client_secret,
    ):
        assert secret not in logged


def _every_stored_value(app) -> str:
    """Every column of every OAuth table, as text."""
    rows = []
    with app.app_context():
        for table in ("oauth_clients", "oauth_authorization_codes", "oauth_tokens", "audit_events"):
            rows += [repr(tuple(row)) for row in db.session.execute(text(f"SELECT * FROM {table}"))]  # noqa: S608
    return "\n".join(rows)


@both_databases
def test_codes_tokens_and_secrets_are_stored_only_as_digests(app, member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start())
    code = flow.callback_params()["code"]
    token = relying_party.exchange(flow)
    refreshed = requests.post(
        relying_party.config["token_endpoint"],
        timeout=10,
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    ).json()
    stored = _every_stored_value(app)
    assert "oauth_tokens" not in stored and len(stored) > 0
    for secret in (
        code,
        token["access_token"],
        token["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
        relying_party.client.client_secret,
    ):
        assert secret not in stored
    from idp_extension.security.tokens import digest

    for secret in (code, token["refresh_token"], refreshed["access_token"]):
        assert digest(secret) in stored
