"""Rate-limit counters are shared by design: outside demo mode, start-up refuses to count per
process unless memory:// is written on purpose (two workers let 20 of 30 requests through a
10/minute limit with per-process counters)."""

from __future__ import annotations

import uuid

import pytest

from idp_extension import create_app
from idp_extension.config import ConfigurationError
from idp_extension.security.ratelimit import TooManyAttemptsError, hit

from .test_ratelimit import REDIS_URL, redis_available


@pytest.fixture
def base(tmp_path):
    return {"IDP_DATABASE_URL": f"sqlite:///{tmp_path}/idp.sqlite3", "IDP_SECRET_KEY": "k" * 40}


def test_production_without_a_storage_does_not_start(base, monkeypatch):
    monkeypatch.delenv("IDP_RATELIMIT_STORAGE_URL", raising=False)
    with pytest.raises(ConfigurationError, match=r"IDP_RATELIMIT_STORAGE_URL.*redis://"):
        create_app(base)


@pytest.mark.parametrize(
    ("settings", "storage"),
    [
        ({"IDP_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0"}, "redis://127.0.0.1:6379/0"),
        ({"IDP_RATELIMIT_STORAGE_URL": "memory://"}, "memory://"),  # chosen on purpose
        ({"IDP_DEMO": True}, "memory://"),
        ({"IDP_RATELIMIT_ENABLED": False}, "memory://"),
    ],
)
def test_a_chosen_storage_or_demo_mode_starts(base, monkeypatch, settings, storage):
    monkeypatch.delenv("IDP_RATELIMIT_STORAGE_URL", raising=False)
    app = create_app({**base, **settings})
    assert app.config["RATELIMIT_STORAGE_URI"] == storage


def test_the_storage_is_read_from_the_environment(base, monkeypatch):
    monkeypatch.setenv("IDP_RATELIMIT_STORAGE_URL", "redis://redis.internal:6379/2")
    app = create_app(base)
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://redis.internal:6379/2"


@pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")
def test_deployments_sharing_a_redis_count_apart_by_prefix(base):
    identity = uuid.uuid4().hex[:8]

    def deployment(prefix):
        return create_app(
            {**base, "IDP_RATELIMIT_STORAGE_URL": REDIS_URL, "IDP_RATELIMIT_KEY_PREFIX": prefix}
        )

    first, twin, other = (deployment(p) for p in ("idp-a-" + identity, "idp-a-" + identity, "b"))
    with first.app_context():
        hit("signup-member", identity, "2/hour")
        hit("signup-member", identity, "2/hour")
    with other.app_context():
        hit("signup-member", identity, "2/hour")  # another deployment's counter
    with twin.app_context(), pytest.raises(TooManyAttemptsError):
        hit("signup-member", identity, "2/hour")  # the same deployment's counter


def test_while_redis_is_down_sign_in_works_and_limits_hold_per_process(base, caplog):
    """A Redis outage must not become an identity-provider outage (every login a 500)."""
    from ..conftest import csrf_token
    from ..smtp import free_port

    nobody_listens = f"redis://127.0.0.1:{free_port()}/0?socket_connect_timeout=1"
    app = create_app(
        {
            **base,
            "IDP_RATELIMIT_STORAGE_URL": nobody_listens,
            "IDP_LOGIN_LIMIT_PER_IP": "2/hour",
            "IDP_LOGIN_LIMIT_PER_EMAIL": "30/hour",
        }
    )
    with app.app_context():
        from idp_extension.db import db

        db.create_all()
    browser = app.test_client()
    token = csrf_token(browser.get("/connexion").get_data(as_text=True))
    answers = [
        browser.post(
            "/connexion",
            data={"csrf_token": token, "email": "personne@example.org", "password": "Wrong#1a"},
        ).status_code
        for _ in range(3)
    ]
    assert answers == [422, 422, 429]
    assert "rate-limit storage unreachable" in caplog.text.lower()
    with app.app_context():
        hit("signup-member", "12345678", "1/hour")
        with pytest.raises(TooManyAttemptsError):
            hit("signup-member", "12345678", "1/hour")
