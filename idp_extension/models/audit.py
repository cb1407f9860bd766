"""The audit trail of security events. Never holds a secret (password, token, code)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model
from .types import UTCDateTime, utcnow


class AuditEvent(Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        # The journal filtered by event pages by keyset on the id (admin/pages.py): one index
        # range, not a sort of every such event. Its leading column serves the loose index
        # scan of the event names too.
        Index("ix_audit_events_event_id", "event", "id"),
        # The dashboard's counts of today's events of a kind read only today's index entries.
        Index("ix_audit_events_event_created_at", "event", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    client_id: Mapped[str | None] = mapped_column(String(64))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
