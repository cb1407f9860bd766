"""Mail and SMS waiting to leave: written in the transaction of the change that caused it.

Life of a row: PENDING (due at ``next_attempt_at``) -> SENDING (claimed by one sender until
``lease_expires_at``) -> SENT, or back to PENDING with a later ``next_attempt_at`` after a
transient failure, or FAILED (permanent refusal, or retries exhausted; an admin may retry it).
A SENDING row whose lease ran out belongs to a sender that died: it is claimed again.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model
from .types import UTCDateTime, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one sender; see lease_expires_at
    SENT = "sent"
    FAILED = "failed"  # gave up: permanent refusal or retries exhausted; shown to admins


class OutboxChannel(enum.StrEnum):
    MAIL = "mail"  # recipient is an email address
    SMS = "sms"  # recipient is an E.164 number; body_text is the message


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_lease", "status", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # activation, password_reset, phone_code...
    channel: Mapped[str] = mapped_column(
        String(8), default=OutboxChannel.MAIL.value, server_default=OutboxChannel.MAIL.value
    )
    recipient: Mapped[str] = mapped_column(String(254))
    # The member's language the mail was rendered in (for the admin console).
    locale: Mapped[str | None] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(255))
    # Sealed (security/sealing.py): bodies carry one-time links. Emptied once sent.
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(
            OutboxStatus,
            name="outbox_status",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            length=16,
        ),
        default=OutboxStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
