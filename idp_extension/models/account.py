"""A member's online account (Espace Client): at most one per member number."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import Enum, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model
from .search_text import account_search_text
from .types import UTCDateTime, utcnow


class AccountStatus(enum.StrEnum):
    PENDING = "pending"  # signed up, activation link not used yet
    ACTIVE = "active"
    DISABLED = "disabled"  # closed by an admin
    SUSPENDED = "suspended"  # the member's membership ended (register: terminated)


SEARCHED_COLUMNS = ("first_name", "last_name", "email", "phone", "member_number")


def _search_text_on_insert(context) -> str:
    # A column default, so that Core inserts (bulk loads, the seeding command) fill it too.
    values = context.get_current_parameters()
    return account_search_text(**{name: values.get(name) for name in SEARCHED_COLUMNS})


def new_subject() -> str:
    """A random, stable OpenID subject; never derived from the member number."""
    return secrets.token_urlsafe(24)


class Account(Model):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), unique=True, default=new_subject)
    # Unique: two parallel sign-ups for one member cannot both win.
    member_number: Mapped[str] = mapped_column(String(8), unique=True)
    # Stored lower-cased (the domain is case-insensitive, and so are people typing it).
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    status: Mapped[AccountStatus] = mapped_column(
        Enum(
            AccountStatus,
            name="account_status",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            length=16,
        ),
        default=AccountStatus.PENDING,
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    is_admin: Mapped[bool] = mapped_column(default=False)
    email_verified: Mapped[bool] = mapped_column(default=False)
    phone_verified: Mapped[bool] = mapped_column(default=False)
    # The second factor the member set up ("sms" or "otp", see second_factor.py), or None.
    second_factor: Mapped[str | None] = mapped_column(String(8))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Folded names, email, phone and member number (models/search_text.py), for the console.
    # Nullable: rows written by a release before this column are found once next updated.
    search_text: Mapped[str | None] = mapped_column(String(700), default=_search_text_on_insert)

    @property
    def is_active(self) -> bool:
        return self.status == AccountStatus.ACTIVE

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.status}>"


@event.listens_for(Account, "before_update")
def _refresh_search_text(mapper, connection, account: Account) -> None:
    """Keep the searched text in step when a name, the email or the phone changes."""
    account.search_text = account_search_text(
        **{name: getattr(account, name) for name in SEARCHED_COLUMNS}
    )
