"""Trusted proxies, explicit (IDP_PROXY_FIX): X-Forwarded-* are read from exactly N hops, and
not at all by default, for rate limits, the audit log and the demo mailbox's loopback check."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from idp_extension import create_app
from idp_extension.config import ConfigurationError
from idp_extension.db import db
from idp_extension.models import AuditEvent

from ..account.helpers import make_account
from ..conftest import csrf_token

CLIENT = "198.51.100.7"
PROXY = "10.0.0.2"


@pytest.fixture
def app_config(app_config, request):
    settings = getattr(request, "param", {})
    return {
        **app_config,
        "SERVER_NAME": None,
        "IDP_RATELIMIT_ENABLED": True,
        "IDP_LOGIN_LIMIT_PER_IP": "2/minute",
        **settings,
    }


def failed_login(client, remote: str, forwarded_for: str | None = None, **headers):
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    environ = {"REMOTE_ADDR": remote}
    page = client.get("/connexion", environ_base=environ, headers=headers)
    return client.post(
        "/connexion",
        environ_base=environ,
        headers=headers,
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": "helene@example.org",
            "password": "Wrong#Pass1",
        },
    )


def audited_addresses(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.ip_address).order_by(AuditEvent.id)))


def test_without_a_proxy_forwarded_headers_are_ignored(client, app, clock):
    make_account(app, clock)
    answers = [
        failed_login(
            client, CLIENT, forwarded_for=f"203.0.113.{n}", **{"X-Forwarded-Proto": "https"}
        )
        for n in range(3)
    ]
    # A client choosing a new X-Forwarded-For each time is still one address to the limiter.
    assert [a.status_code for a in answers] == [422, 422, 429]
    assert "Strict-Transport-Security" not in answers[0].headers
    assert set(audited_addresses(app)) == {CLIENT}


@pytest.mark.parametrize("app_config", [{"IDP_PROXY_FIX": 1}], indirect=True)
def test_one_proxy_hop_names_the_client(client, app, clock):
    make_account(app, clock)
    # What the client wrote left of what our proxy appended does not count.
    answers = [
        failed_login(client, PROXY, forwarded_for=f"127.0.0.1, 203.0.113.{n}") for n in range(3)
    ]
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert audited_addresses(app) == [f"203.0.113.{n}" for n in range(3)]
    flood = [failed_login(client, PROXY, forwarded_for=CLIENT).status_code for _ in range(3)]
    assert flood == [422, 422, 429]


@pytest.mark.parametrize("app_config", [{"IDP_PROXY_FIX": 2}], indirect=True)
def test_two_hops_take_the_address_the_outer_proxy_saw(client, app, clock):
    make_account(app, clock)
    failed_login(client, PROXY, forwarded_for=f"6.6.6.6, {CLIENT}, 10.0.0.1")
    assert audited_addresses(app) == [CLIENT]


@pytest.mark.parametrize("app_config", [{"IDP_PROXY_FIX": 1}], indirect=True)
def test_proxy_says_https_and_gets_hsts(client):
    page = client.get("/connexion", headers={"X-Forwarded-Proto": "https"})
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/connexion").headers


def test_an_https_issuer_always_sends_hsts(app_config):
    app = create_app({**app_config, "IDP_ISSUER": "https://login.mutuelle.example"})
    response = app.test_client().get("/connexion", base_url="http://login.mutuelle.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize(
    ("settings", "remote", "forwarded_for"),
    [
        ({}, "203.0.113.7", "127.0.0.1"),  # no proxy configured: the header is the client's
        ({"IDP_PROXY_FIX": 1}, "127.0.0.1", "203.0.113.7"),  # a local nginx for a remote client
    ],
)
def test_the_demo_mailbox_sees_the_real_client(
    app_config, tmp_path, settings, remote, forwarded_for
):
    app = create_app({**app_config, "IDP_DEMO": True, **settings})
    response = app.test_client().get(
        "/demo/mailbox",
        environ_base={"REMOTE_ADDR": remote},
        headers={"X-Forwarded-For": forwarded_for},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("value", ["-1", "yes", "1.5"])
def test_an_unusable_hop_count_stops_the_start_up(app_config, value):
    with pytest.raises(ConfigurationError, match="IDP_PROXY_FIX"):
        create_app({**app_config, "IDP_PROXY_FIX": value})
