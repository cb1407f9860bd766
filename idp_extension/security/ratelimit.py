"""Rate limits: per IP through Flask-Limiter's decorators, per identity through ``hit``."""

from __future__ import annotations

import math
import time

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

limiter = Limiter(key_func=get_remote_address)


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
    if not limiter.limiter.hit(item, *key):
        reset_at = limiter.limiter.get_window_stats(item, *key).reset_time
        raise TooManyAttemptsError(scope, retry_after=seconds_until(reset_at))


def seconds_until(moment: float) -> int:
    """Whole seconds from now until ``moment`` (a Unix time), at least one."""
    return max(1, math.ceil(moment - time.time()))
