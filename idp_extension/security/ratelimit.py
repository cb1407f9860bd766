"""Rate limits: per IP through Flask-Limiter's decorators, per identity through ``hit``.

Counters live in the shared storage (Redis). While it does not answer, each process counts in
its own memory rather than failing every sign-in with a 500: limits then hold per process, and
the shared counters take over again once the storage is back (Flask-Limiter's in-memory
fallback for the decorators; ``SharedCounters`` for the rest).
"""

from __future__ import annotations

import logging
import math
import time

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)

limiter = Limiter(key_func=get_remote_address)


class SharedCounters(Storage):
    """The shared storage's counters, or this process's memory while the shared one is down.

    >>> SharedCounters.from_uri("redis://redis.internal:6379/0").incr("key", 60)
    """

    STORAGE_SCHEME = None  # built from another storage, never from a URI of its own

    def __init__(self, shared: Storage):
        super().__init__()
        self.shared = shared
        self.memory = MemoryStorage()

    @classmethod
    def from_uri(cls, uri: str) -> SharedCounters:
        return cls(storage_from_string(uri))

    @property
    def base_exceptions(self):
        return self.shared.base_exceptions

    def _either(self, operation: str, *args, **kwargs):
        try:
            return getattr(self.shared, operation)(*args, **kwargs)
        except self.shared.base_exceptions as error:
            log.warning("rate-limit storage unreachable (%s): counting in memory", error)
            return getattr(self.memory, operation)(*args, **kwargs)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._either("incr", key, expiry, amount=amount)

    def get(self, key: str) -> int:
        return self._either("get", key)

    def get_expiry(self, key: str) -> float:
        return self._either("get_expiry", key)

    def clear(self, key: str) -> None:
        return self._either("clear", key)

    def reset(self) -> int | None:
        return self._either("reset")

    def check(self) -> bool:
        return self.shared.check()

    def limiter(self) -> FixedWindowRateLimiter:
        """Flask-Limiter's default strategy over these counters."""
        return FixedWindowRateLimiter(self)


class TooManyAttemptsError(Exception):
    """An identity (member number, email) was tried too often; the view answers 429, saying
    how long to wait (``retry_after``, seconds)."""

    def __init__(self, scope: str, retry_after: int | None = None):
        super().__init__(scope)
        self.retry_after = retry_after


def configured(key: str):
    """The limit set under config ``key``, read per request: ``@limiter.limit(configured(K))``."""
    return lambda: current_app.config[key]


def hit(scope: str, identity: str, limit: str) -> None:
    """Count one attempt for ``identity`` within ``scope``; raise once ``limit`` is exceeded.

    >>> hit("signup-member", "12345678", "5/hour")
    """
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    item = parse(limit)
    # Flask-Limiter prefixes the keys of its own limits, not of these: same prefix, by hand.
    key = [scope, identity.casefold()]
    if prefix := current_app.config.get("RATELIMIT_KEY_PREFIX"):
        key.insert(0, prefix)
    counters = identity_counters()
    if not counters.hit(item, *key):
        reset_at = counters.get_window_stats(item, *key).reset_time
        raise TooManyAttemptsError(scope, retry_after=seconds_until(reset_at))


def seconds_until(moment: float) -> int:
    """Whole seconds from now until ``moment`` (a Unix time), at least one."""
    return max(1, math.ceil(moment - time.time()))


def identity_counters() -> FixedWindowRateLimiter:
    """The application's per-identity limiter, on the storage resolved at start-up."""
    state = current_app.extensions["idp"]
    if state.identity_limits is None:
        counters = SharedCounters.from_uri(current_app.config["RATELIMIT_STORAGE_URI"])
        state.identity_limits = counters.limiter()
    return state.identity_limits
