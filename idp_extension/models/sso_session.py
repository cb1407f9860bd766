"""Server-side SSO sessions: the browser's cookie carries a random id, the table only its digest.

A row outlives nothing it should not: it ends at logout, at a new sign-in in the same browser,
when its account is disabled or its password changes, after ``IDP_SESSION_LIFETIME`` seconds
unused, and in any case ``IDP_SESSION_MAX_AGE`` seconds after it began (``expires_at``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Model
from .account import Account
from .types import UTCDateTime

USER_AGENT_LENGTH = 255
IP_ADDRESS_LENGTH = 45


class SsoSession(Model):
    __tablename__ = "sso_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Hex SHA-256 of the 32 random bytes in the cookie: a database dump signs nobody in.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Refreshed at most once a minute, so a busy session does not write on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Absolute end, whatever the use: created_at + IDP_SESSION_MAX_AGE.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it ended: logout, replaced, expired, idle, password_changed, account_disabled.
    end_reason: Mapped[str | None] = mapped_column(String(32))
    ip_address: Mapped[str | None] = mapped_column(String(IP_ADDRESS_LENGTH))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH))
    # How the member proved who they are (RFC 8176 values: pwd, then sms or otp once a second
    # factor was given, at sign-in or later when a relying party asked for it).
    amr: Mapped[list | None] = mapped_column(JSON)
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()

    def __repr__(self) -> str:
        return f"<SsoSession {self.id} account={self.account_id}>"
