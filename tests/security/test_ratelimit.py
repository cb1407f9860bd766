"""Per-identity rate limits: counted in Redis, counters are shared by every app server."""

import uuid

import pytest
import redis

from idp_extension import create_app
from idp_extension.security.ratelimit import TooManyAttemptsError, hit

REDIS_URL = "redis://127.0.0.1:6379"


def redis_available() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def server(tmp_path, storage: str):
    """One app server, as a separate gunicorn worker would build it."""
    return create_app(
        {
            "IDP_DATABASE_URL": f"sqlite:///{tmp_path}/idp.sqlite3",
            "IDP_SECRET_KEY": "k" * 40,
            "IDP_RATELIMIT_STORAGE_URL": storage,
        }
    )


@pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")
def test_redis_counters_are_shared_between_servers(tmp_path):
    identity = f"{uuid.uuid4().hex[:8]}"
    first = server(tmp_path, REDIS_URL)
    with first.app_context():
        for _ in range(3):
            hit("signup-member", identity, "3/hour")
    second = server(tmp_path, REDIS_URL)
    with second.app_context(), pytest.raises(TooManyAttemptsError):
        hit("signup-member", identity, "3/hour")


def test_memory_counters_are_per_server_and_limit_within_one(tmp_path):
    identity = f"{uuid.uuid4().hex[:8]}"
    first = server(tmp_path, "memory://")
    with first.app_context():
        for _ in range(3):
            hit("login-email", identity, "3/hour")
        with pytest.raises(TooManyAttemptsError):
            hit("login-email", identity, "3/hour")
        # Identities differ only in case: one person, one counter.
        with pytest.raises(TooManyAttemptsError):
            hit("login-email", identity.upper(), "3/hour")
    second = server(tmp_path, "memory://")
    with second.app_context():
        hit("login-email", identity, "3/hour")
