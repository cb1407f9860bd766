"""The console's one error: an action that cannot be done, with a reason the view words."""

from __future__ import annotations

from ..errors import IdpError


class AdminActionError(IdpError):
    """An admin action that cannot be done (``reason`` says why, for the console; it is also
    the error's ``code``)."""

    code, status = "admin_action_refused", 409

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.code = reason
        if reason == "not_found":
            self.status = 404
