"""Mail transports: SMTP through Flask-Mail, and the demo mailbox that keeps messages on a page.

This is the only module that talks SMTP (a test guards it). A transport delivers one message
and sorts failures for the outbox:

- ``PermanentDeliveryError``: the server refused *this message* for good (5xx to RCPT or to
  DATA, a header it cannot carry). Retrying cannot help, so the outbox fails it at once.
- ``TransportUnavailableError``: no usable connection (refused, timeout, TLS or login failed).
  Nothing is wrong with the message; the outbox retries it later and stops the current pass.
- ``TransientDeliveryError`` (or any other exception): this attempt failed (4xx, dropped
  connection); retried with backoff.

A transport may offer ``session()``, a context manager yielding an object with the same
``send``; the outbox then sends a whole pass over one SMTP connection.
"""

from __future__ import annotations

import smtplib
import ssl
from contextlib import contextmanager, suppress
from email.utils import parsedate_to_datetime

from flask import current_app
from flask_mail import BadHeaderError, Connection, Mail, Message

from ..settings import settings


def mail_state(settings: dict):
    """Flask-Mail's connection settings for the provider, not registered on the application."""
    return Mail().init_mail(settings)


# RFC 5321 section 4.5.3.1.10: 552 (storage exceeded) should be treated as temporary.
TEMPORARY_5XX = {552}


class PermanentDeliveryError(Exception):
    """The SMTP server refused this message for good (5xx): retrying cannot help."""


class TransportUnavailableError(Exception):
    """The mail server cannot be reached or refused the session (not this message's fault)."""


def _is_permanent(code: int) -> bool:
    return 500 <= code < 600 and code not in TEMPORARY_5XX


class _Connection(Connection):
    """Flask-Mail's connection with a timeout and certificate-checking TLS.

    Flask-Mail opens sockets without a timeout and calls ``starttls()`` without a context,
    which skips certificate verification; neither is acceptable for a mail that carries an
    activation link.
    """

    def configure_host(self) -> smtplib.SMTP:
        timeout = settings().mail_timeout
        state = self.mail
        context = None
        if state.use_ssl or state.use_tls:
            context = ssl.create_default_context(cafile=settings().mail_ca_file or None)
        host: smtplib.SMTP
        try:
            if state.use_ssl:
                host = smtplib.SMTP_SSL(state.server, state.port, timeout=timeout, context=context)
            else:
                host = smtplib.SMTP(state.server, state.port, timeout=timeout)
        except (OSError, smtplib.SMTPException) as error:
            raise TransportUnavailableError(f"connect: {_describe(error)}") from error
        try:
            if state.use_tls:
                host.starttls(context=context)
            if state.username and state.password:
                host.login(state.username, state.password)
        except (OSError, smtplib.SMTPException) as error:
            _close_quietly(host)
            raise TransportUnavailableError(f"session: {_describe(error)}") from error
        return host

    def __exit__(self, exc_type, exc_value, tb) -> None:
        # Flask-Mail's QUIT on a broken connection would raise and hide the real error.
        if self.host is not None:
            if exc_type is None:
                try:
                    self.host.quit()
                except (OSError, smtplib.SMTPException):
                    _close_quietly(self.host)
            else:
                _close_quietly(self.host)
            self.host = None


def _close_quietly(host: smtplib.SMTP) -> None:
    with suppress(OSError):
        host.close()


def _describe(error: BaseException) -> str:
    """A short error text for the outbox row: SMTP code and reply, never credentials."""
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        return f"{error.smtp_code} {reply}".strip()
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}"
            for code, reply in error.recipients.values()
        )
    return f"{type(error).__name__}: {error}"


def build_message(
    *,
    sender: str,
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    message_id: str,
    date_header: str,
) -> Message:
    """A Flask-Mail message with our fixed Message-ID and Date (text, and HTML alternative)."""
    date = parsedate_to_datetime(date_header).timestamp()
    message = Message(
        subject=subject,
        recipients=[recipient],
        body=body_text,
        html=body_html,
        sender=sender,
        date=date,
    )
    # Fixed when the message was written to the outbox, so a re-send is recognisable.
    message.msgId = message_id
    return message


class TransientDeliveryError(Exception):
    """The server could not take this message now (4xx, dropped connection): retried later."""


class _DisconnectedError(TransientDeliveryError):
    """The server closed the connection under us."""


class _SmtpSession:
    """Sends several messages over one connection, reconnecting after any failure."""

    def __init__(self):
        self._connection: _Connection | None = None

    def send(self, **fields) -> None:
        message = build_message(**fields)
        reused = self._connection is not None
        try:
            self._send(message)
        except _DisconnectedError:
            if not reused:
                raise
            # Relays close connections kept open between messages (idle time, messages per
            # connection), before our next command: try once more on a fresh connection. (Were
            # the close to fall after the server took the data, this is the at-least-once case.)
            self._send(message)

    def _send(self, message: Message) -> None:
        if self._connection is None:
            connection = _Connection(current_app.extensions["idp"].mail)
            connection.__enter__()
            self._connection = connection
        try:
            self._connection.send(message)
        except BadHeaderError as error:
            raise PermanentDeliveryError("header contains a line break") from error
        except smtplib.SMTPRecipientsRefused as error:
            self._drop()
            codes = [code for code, _ in error.recipients.values()]
            if codes and all(_is_permanent(code) for code in codes):
                raise PermanentDeliveryError(_describe(error)) from error
            raise TransientDeliveryError(_describe(error)) from error
        except smtplib.SMTPDataError as error:
            self._drop()
            if _is_permanent(error.smtp_code):
                raise PermanentDeliveryError(_describe(error)) from error
            raise TransientDeliveryError(_describe(error)) from error
        except smtplib.SMTPServerDisconnected as error:
            self._drop()
            raise _DisconnectedError(_describe(error)) from error
        except (OSError, smtplib.SMTPException) as error:
            # Sender refused, 4xx, socket error: the session or server, not the message.
            self._drop()
            raise TransientDeliveryError(_describe(error)) from error

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.__exit__(RuntimeError, None, None)
            self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.__exit__(None, None, None)
            self._connection = None


class SmtpTransport:
    """Send through Flask-Mail: SMTP, STARTTLS or SSL, authentication from config (MAIL_*)."""

    @contextmanager
    def session(self):
        session = _SmtpSession()
        try:
            yield session
        finally:
            session.close()

    def send(self, **fields) -> None:
        with self.session() as session:
            session.send(**fields)


class MailboxTransport:
    """Demo only: nothing leaves the machine; the outbox row itself is the mailbox entry."""

    keeps_bodies = True

    def send(self, **fields) -> None:
        return None
