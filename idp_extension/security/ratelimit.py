"""Rate limits, per application: per client IP on a view (``@limited``), per identity (``hit``).

Counters live in the storage of the ``limits`` library (``memory://`` or ``redis://``, shared by
every app server), one ``RateLimits`` per application in ``app.extensions["idp"].rate_limits``.
The provider never installs Flask-Limiter on the application: a host may have its own, with its
own hooks and defaults, and two apps in one process must not share counters. While the shared
storage does not answer, each process counts in its own memory rather than failing every
sign-in with a 500 (``SharedCounters``); the shared counters take over again once it is back.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import current_app, request
from flask_babel import ngettext
from limits import parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from ..config import ConfigurationError
from ..errors import IdpError
from ..i18n import N_
from ..settings import attribute_name, settings
from .log_redaction import logger_for

log = logger_for(__name__)


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
        storage = storage_from_string(uri)
        if not isinstance(storage, Storage):  # an ``async+...`` URI: the views are synchronous
            raise ConfigurationError(
                f"rate-limit storage {uri!r} is asynchronous; give a synchronous one"
            )
        return cls(storage)

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


class TooManyAttemptsError(IdpError):
    """An address or an identity (member number, email) was tried too often; the answer is a
    429 saying how long to wait (``retry_after``, seconds)."""

    # RFC 6749 registers no code for 429; this is the one OAuth clients know to retry later.
    code, status = "temporarily_unavailable", 429
    message = N_("Trop de tentatives. Merci de patienter quelques minutes avant de réessayer.")

    def __init__(self, scope: str, retry_after: int | None = None):
        super().__init__(scope)
        self.retry_after = retry_after

    def describe(self) -> str:
        if not self.retry_after:
            return super().describe()
        return ngettext(
            "Trop de tentatives. Merci de réessayer dans %(num)d minute.",
            "Trop de tentatives. Merci de réessayer dans %(num)d minutes.",
            max(1, math.ceil(self.retry_after / 60)),
        )

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


@dataclass
class RateLimits:
    """One application's counters."""

    enabled: bool
    prefix: str
    limiter: FixedWindowRateLimiter

    @classmethod
    def from_config(cls, config) -> RateLimits:
        # As resolved at start-up; in this process's memory while the storage does not answer.
        counters = SharedCounters.from_uri(config["RATELIMIT_STORAGE_URI"])
        return cls(
            enabled=bool(config["RATELIMIT_ENABLED"]),
            prefix=config.get("RATELIMIT_KEY_PREFIX") or "idp",
            limiter=counters.limiter(),
        )

    def hit(self, scope: str, identity: str, limit: str) -> None:
        """Count one attempt; raise once any of ``limit``'s windows (``"3/minute;9/hour"``)
        is exceeded."""
        if not self.enabled:
            return
        for item in parse_many(limit):
            if not self.limiter.hit(item, self.prefix, scope, identity):
                reset_at = self.limiter.get_window_stats(item, self.prefix, scope, identity)
                raise TooManyAttemptsError(scope, retry_after=seconds_until(reset_at.reset_time))


def seconds_until(moment: float) -> int:
    """Whole seconds from now until ``moment`` (a Unix time), at least one."""
    # The ``limits`` library's windows run on the system time, not the application's clock.
    return max(1, math.ceil(moment - time.time()))


def configured(key: str) -> Callable[[], str]:
    """The limit set under ``key`` (an IDP_* setting), read per request:
    ``@limited(configured(K))``."""
    name = attribute_name(key)
    return lambda: getattr(settings(), name)


def hit(scope: str, identity: str, limit: str) -> None:
    """Count one attempt for ``identity`` within ``scope``; raise once ``limit`` is exceeded.

    >>> hit("signup-member", "12345678", "5/hour")
    """
    current_app.extensions["idp"].rate_limits.hit(scope, identity.casefold(), limit)


def limited(limit: str | Callable[[], str], *, methods: Iterable[str] | None = None):
    """Limit a view per client IP (``request.remote_addr``, see IDP_PROXY_FIX).

    >>> @bp.post("/connexion")
    ... @limited(configured("IDP_LOGIN_LIMIT_PER_IP"), methods=["POST"])
    ... def login(): ...
    """
    only = {method.upper() for method in methods} if methods else None

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if only is None or request.method in only:
                value = limit() if callable(limit) else limit
                hit(f"ip:{request.endpoint}", request.remote_addr or "", value)
            return view(*args, **kwargs)

        return wrapper

    return decorator
