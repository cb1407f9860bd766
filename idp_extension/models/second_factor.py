"""What a member holds as a second factor: SMS codes sent to the mobile, an authenticator app's
TOTP secret, and single-use recovery codes.

Nothing here can sign anybody in if the database leaks: SMS and recovery codes are kept as
keyed digests (security/codes.py), the TOTP secret sealed with the instance key
(security/sealing.py), like the signing keys.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model
from .types import UTCDateTime


class PhoneCodePurpose(enum.StrEnum):
    VERIFY_PHONE = "verify_phone"  # proves the mobile number is the member's
    LOGIN = "login"  # the second step of a sign-in


class PhoneCode(Model):
    """A 6-digit code sent by SMS: 10 minutes, 5 tries, single use, voided by a newer one."""

    __tablename__ = "phone_codes"
    __table_args__ = (Index("ix_phone_codes_account_purpose", "account_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    purpose: Mapped[PhoneCodePurpose] = mapped_column(
        Enum(
            PhoneCodePurpose,
            name="phone_code_purpose",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            length=16,
        )
    )
    # The number it went to: verifying proves this number, not whatever the account holds later.
    phone: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))  # keyed digest, see security/codes.py
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Tries spent on this code, the right one included; none is checked past MAX_TRIES.
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TotpAuthenticator(Model):
    """An authenticator app (RFC 6238). Unconfirmed until the member typed one of its codes."""

    __tablename__ = "totp_authenticators"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    secret_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The time step of the last code accepted: a code (or an older one) never works twice.
    last_used_step: Mapped[int | None]


class RecoveryCode(Model):
    """One of the ten codes shown once at set-up; each signs in once when the phone is lost."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecondFactorMethod(enum.StrEnum):
    """The second factor a member chose; their login asks for it."""

    SMS = "sms"
    TOTP = "otp"
