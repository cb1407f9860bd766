"""A real SMTP server (aiosmtpd) for the tests, collecting what it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class CollectingHandler:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        # Set to a code like "550 No such user" to refuse every message.
        self.refuse_with: str | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """Start/stop a real SMTP server on 127.0.0.1; ``messages`` holds parsed mails."""

    def __init__(self):
        self.handler = CollectingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()
        self.handler.refuse_with = None

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> EmailMessage:
        """The ``count``-th mail to ``address``. Delivery runs just after the HTTP response, in
        the server's thread: poll for it (this waits for a delivery, not for an expiry)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.messages_to(address)
            if len(received) >= count:
                return received[count - 1]
            time.sleep(0.02)
        raise AssertionError(
            f"no mail #{count} to {address} within {timeout}s "
            f"(received: {[m['To'] for m in self.messages]})"
        )
