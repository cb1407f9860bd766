"""The insurer's register of members (adhérents), as imported from its core system."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model
from .types import UTCDateTime, utcnow


class MemberStatus(enum.StrEnum):
    ACTIVE = "active"
    TERMINATED = "terminated"


class MemberRecord(Model):
    __tablename__ = "member_records"
    __table_args__ = (CheckConstraint("length(member_number) = 8", name="member_number_length"),)

    member_number: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    status: Mapped[MemberStatus] = mapped_column(
        Enum(
            MemberStatus,
            name="member_status",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            length=16,
        ),
        default=MemberStatus.ACTIVE,
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<MemberRecord {self.member_number} {self.status}>"
