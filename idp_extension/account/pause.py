"""Sign-in pauses per email address, whether or not an account has that address.

The account's own lockout (``service.authenticate``) protects the password; this decides only
what the login page says. It counts failed sign-ins per address in the rate-limit storage
(``IDP_RATELIMIT_STORAGE_URL``, shared by every server), so an address without an account
gets exactly the pause an account gets, and a paused address is not even checked: the right password
then gets the same answer as a wrong one (no oracle).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from limits.storage import Storage

from ..security.ratelimit import SharedCounters
from ..settings import settings

_SCOPE = "idp-signin"


class SignInPause:
    """After ``threshold`` failures, the address is paused for ``seconds`` of the app's clock.

    The storage's own expiry only clears old keys; the pause ends by the clock, which tests move.
    """

    def __init__(self, storage: Storage, threshold: int, seconds: int, prefix: str = ""):
        self.storage = storage
        self.threshold = threshold
        self.seconds = seconds
        self.prefix = prefix

    @property
    def minutes(self) -> int:
        return max(self.seconds // 60, 1)

    def is_paused(self, address: str, now: datetime) -> bool:
        return self.storage.get(self._key("paused-until", address)) > now.timestamp()

    def record_failure(self, address: str, now: datetime) -> bool:
        """Count one failure; True when the address is now paused."""
        failures = self.storage.incr(self._key("failures", address), self.seconds)
        if failures < self.threshold:
            return False
        until = self._key("paused-until", address)
        self.storage.clear(until)
        self.storage.incr(until, self.seconds, amount=int(now.timestamp()) + self.seconds)
        self.storage.clear(self._key("failures", address))
        return True

    def forget(self, address: str) -> None:
        """A successful sign-in starts a new series, as the account's own counter does."""
        self.storage.clear(self._key("failures", address))

    def lift(self, address: str) -> None:
        """End a pause now (an admin unlocked the account, or a new password was chosen through
        the mailed link) and start a new series."""
        self.storage.clear(self._key("paused-until", address))
        self.storage.clear(self._key("failures", address))

    def _key(self, kind: str, address: str) -> str:
        return f"{self.prefix}{_SCOPE}/{kind}/{address.casefold()}"


def signin_pause() -> SignInPause:
    """The application's pause, built once from its settings."""
    state = current_app.extensions["idp"]
    if state.signin_pause is None:
        config = current_app.config  # the counters' storage, as resolved at start-up
        state.signin_pause = SignInPause(
            # In this process's memory while Redis does not answer.
            SharedCounters.from_uri(config["RATELIMIT_STORAGE_URI"]),
            settings().lockout_threshold,
            int(settings().lockout_seconds.total_seconds()),  # the storage counts in seconds
            prefix=config.get("RATELIMIT_KEY_PREFIX") or "",
        )
    return state.signin_pause
