"""Signing keys for ID tokens, kept in the database so every app server signs alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model
from .types import UTCDateTime, utcnow


class SigningKey(Model):
    """One key pair. The private PEM is sealed with the session key (security.sealing)."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(8))  # RS256 or ES256
    private_key_sealed: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When it starts signing: a rotated-in key is published first (oidc/keys.py). None: at once.
    activates_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set on an emergency rotation; the key stays published until every token it signed has
    # expired, unless withdrawn (compromised: its tokens must stop verifying at once).
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<SigningKey {self.kid} {self.alg} {'active' if self.active else 'retired'}>"
