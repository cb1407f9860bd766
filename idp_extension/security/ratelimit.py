"""Rate limits, per application: per client IP on a view (``@limited``), per identity (``hit``).

Counters live in the storage of the ``limits`` library (``memory://`` or ``redis://``, shared by
every app server), one ``RateLimits`` per application in ``app.extensions["idp"].rate_limits``.
The provider never installs Flask-Limiter on the application: a host may have its own, with its
own hooks and defaults, and two apps in one process must not share counters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter


class TooManyAttemptsError(Exception):
    """An address or an identity (member number, email) was tried too often; the view answers
    429."""


@dataclass
class RateLimits:
    """One application's counters."""

    enabled: bool
    prefix: str
    limiter: FixedWindowRateLimiter

    @classmethod
    def from_config(cls, config) -> RateLimits:
        storage = storage_from_string(config["RATELIMIT_STORAGE_URI"])
        return cls(
            enabled=bool(config["RATELIMIT_ENABLED"]),
            prefix=config.get("RATELIMIT_KEY_PREFIX") or "idp",
            limiter=FixedWindowRateLimiter(storage),
        )

    def hit(self, scope: str, identity: str, limit: str) -> None:
        """Count one attempt; raise once any of ``limit``'s windows (``"3/minute;9/hour"``)
        is exceeded."""
        if not self.enabled:
            return
        for item in parse_many(limit):
            if not self.limiter.hit(item, self.prefix, scope, identity):
                raise TooManyAttemptsError(scope)


def configured(key: str) -> Callable[[], str]:
    """The limit set under config ``key``, read per request: ``@limited(configured(K))``."""
    return lambda: current_app.config[key]


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
