"""A member's request for a mail whose answer must not tell whether an account exists.

"Forgotten password" and "new activation link" record the address as typed and answer at once,
the same for every address; the mail worker then decides what, if anything, to send
(account/mail_requests.py). The row lives only until the worker has handled it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model
from .types import UTCDateTime, utcnow


class MailRequest(Model):
    __tablename__ = "mail_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # password_reset, activation
    email: Mapped[str] = mapped_column(String(254))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<MailRequest {self.id} {self.kind}>"
