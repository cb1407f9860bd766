"""The console's one error: an action that cannot be done, with a reason the view words."""

from __future__ import annotations


class AdminActionError(Exception):
    """An admin action that cannot be done (``reason`` says why, for the console)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
