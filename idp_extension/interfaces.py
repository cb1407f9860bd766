"""Outside systems as small protocols: each has a real and a development implementation."""

from __future__ import annotations

from datetime import date
from typing import Protocol


class MemberRecordLike(Protocol):
    # Read-only: a record may be a dataclass, a named tuple or a model row.
    @property
    def member_number(self) -> str: ...
    @property
    def last_name(self) -> str: ...
    @property
    def first_name(self) -> str: ...
    @property
    def birth_date(self) -> date: ...
    @property
    def status(self) -> str: ...  # "active" or "terminated"


class MemberRegistry(Protocol):
    """The insurer's register of members.

    An HTTP registry of the insurer's core system fits as long as it answers ``lookup``::

        class CoreSystemRegistry:
            def lookup(self, member_number):
                reply = session.get(f"{base}/members/{member_number}", timeout=5)
                return None if reply.status_code == 404 else Record(**reply.json())
    """

    def lookup(self, member_number: str) -> MemberRecordLike | None: ...


class MailTransport(Protocol):
    """Delivers one rendered message; raises on failure so the outbox retries it.

    ``permanent`` failures (the server refused the recipient for good) raise
    ``PermanentDeliveryError``; ``TransportUnavailableError`` means the server cannot be
    reached (the outbox pauses the pass); any other exception is retried. A transport may also
    offer ``session()``, a context manager yielding an object with this ``send``, to send many
    messages over one connection (see ``idp_extension.mail.sender``).
    """

    def send(
        self,
        *,
        sender: str,
        recipient: str,
        subject: str,
        body_text: str,
        body_html: str | None,
        message_id: str,
        date_header: str,
    ) -> None: ...


class SmsSender(Protocol):
    """Sends one SMS; the outbox calls it (sms/senders.py has the HTTP gateway and the demo one).

    Raise ``TransportUnavailableError`` when the gateway cannot take messages now (the SMS waits,
    its retry budget untouched), ``PermanentDeliveryError`` when it refused this one for good;
    any other exception is retried with backoff.
    """

    def send(self, phone_e164: str, text: str) -> None: ...
