"""Mail fixtures: a test-only mail template, accounts to write to, and SMTP servers of our own
(slow, or started late on a port that was closed)."""

from __future__ import annotations

import asyncio
import email
import email.policy
from pathlib import Path

import jinja2
import pytest
from aiosmtpd.controller import Controller
from flask import current_app

from idp_extension.db import db
from idp_extension.models import Account, AccountStatus

from ..factories import new_account
from ..smtp import CollectingHandler, SmtpServer, free_port

TEMPLATES = Path(__file__).resolve().parent / "templates"


@pytest.fixture
def notice_template(app):
    """Make ``templates/idp/mail/notice`` of the tests available, behind the real templates."""
    app.jinja_loader.loaders.append(jinja2.FileSystemLoader(str(TEMPLATES)))
    return "notice"


def make_account(number: int, *, locale: str = "fr", email_address: str | None = None) -> Account:
    """A pending account to write to, added to the current session (not committed)."""
    account = new_account(
        current_app,
        status=AccountStatus.PENDING,
        member_number=f"{number:08d}",
        email=email_address or f"adherent{number}@example.test",
        last_name="Lefèvre",
        locale=locale,
    )
    db.session.add(account)
    return account


class SlowHandler(CollectingHandler):
    """Keeps each message, then takes ``delay`` seconds to say 250 (a slow relay)."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"


class OwnSmtpServer(SmtpServer):
    """An SMTP server of one test: on a chosen port, with a chosen handler."""

    def __init__(
        self,
        handler: CollectingHandler | None = None,
        port: int | None = None,
        **controller_options,
    ):
        self.handler = handler or CollectingHandler()
        self.port = port or free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **controller_options
        )


@pytest.fixture
def own_smtp():
    """Build SMTP servers for one test; every one started is stopped afterwards."""
    started: list[OwnSmtpServer] = []

    def start(handler=None, port=None, **options) -> OwnSmtpServer:
        server = OwnSmtpServer(handler, port, **options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        if server.controller._thread is not None:  # not stopped by the test itself
            server.stop()


def message_ids(server: SmtpServer) -> list[str]:
    return [message["Message-ID"] for message in server.messages]
