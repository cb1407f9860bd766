"""The transactional outbox: write with the change, deliver after commit, retry with backoff.

Delivery is at-least-once: a worker that dies between the SMTP server's acceptance and its own
commit will send that one message again after restart. Every message carries a fixed Message-ID
so receiving systems can recognise such a duplicate.
"""

from __future__ import annotations

import email.utils
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..db import db
from ..models import OutboxMessage, OutboxStatus
from ..security.sealing import InvalidToken, seal, unseal
from .sender import PermanentDeliveryError

log = logging.getLogger(__name__)


def _state():
    return current_app.extensions["idp"]


def enqueue(kind: str, recipient: str, subject: str, body_text: str,
            body_html: str | None) -> OutboxMessage:
    """Add a message to the current transaction; bodies are sealed since they carry links."""
    key = current_app.config["SECRET_KEY"]
    domain = current_app.config["IDP_ISSUER"].split("://", 1)[1].split("/")[0].split(":")[0]
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        subject=subject,
        body_text=seal(key, body_text),
        body_html=seal(key, body_html) if body_html is not None else None,
        message_id=email.utils.make_msgid(domain=domain),
        next_attempt_at=_state().clock.now(),
    )
    db.session.add(message)
    return message


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base ... capped at six hours."""
    base = current_app.config["IDP_MAIL_RETRY_BASE_SECONDS"]
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _claim(ids: list[int] | None, limit: int) -> OutboxMessage | None:
    """Lock the next due message; on PostgreSQL other workers skip it (SKIP LOCKED)."""
    now = _state().clock.now()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING,
               OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    return db.session.scalars(query).first()


def deliver_one(message: OutboxMessage) -> bool:
    """Try to send one claimed message and commit its new state. True when it went out."""
    state = _state()
    config = current_app.config
    now = state.clock.now()
    message.attempts += 1
    try:
        key = config["SECRET_KEY"]
        body_text = unseal(key, message.body_text)
        body_html = unseal(key, message.body_html) if message.body_html else None
        state.mailer.send(
            sender=config["MAIL_DEFAULT_SENDER"], recipient=message.recipient,
            subject=message.subject, body_text=body_text, body_html=body_html,
            message_id=message.message_id,
            date_header=email.utils.format_datetime(now),
        )
    except (PermanentDeliveryError, InvalidToken) as error:
        message.status = OutboxStatus.FAILED
        message.last_error = f"permanent: {type(error).__name__}: {error}"[:500]
        log.warning("mail %s failed permanently: %s", message.id, type(error).__name__)
    except Exception as error:  # noqa: BLE001 - any transport error is retried
        message.last_error = f"{type(error).__name__}: {error}"[:500]
        if message.attempts >= config["IDP_MAIL_MAX_ATTEMPTS"]:
            message.status = OutboxStatus.FAILED
        else:
            message.next_attempt_at = now + retry_delay(message.attempts)
        log.info("mail %s not sent (attempt %s): %s", message.id, message.attempts,
                 type(error).__name__)
    else:
        message.status = OutboxStatus.SENT
        message.sent_at = now
        message.last_error = None
        if not getattr(state.mailer, "keeps_bodies", False):
            # Sent: the link inside must not linger in the database.
            message.body_text, message.body_html = "", None
    db.session.commit()
    return message.status == OutboxStatus.SENT


def deliver_due(ids: list[int] | None = None, limit: int = 100) -> dict[str, int]:
    """Send due messages (all, or only ``ids``), one transaction each. Returns counts."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for _ in range(limit):
        message = _claim(ids, limit)
        if message is None:
            db.session.rollback()
            break
        sent = deliver_one(message)
        if sent:
            counts["sent"] += 1
        elif message.status == OutboxStatus.FAILED:
            counts["failed"] += 1
        else:
            counts["retry"] += 1
    return counts


def send_after_response(response, ids: list[int]):
    """Try the given messages once, after the response has gone to the browser."""
    if not ids or not current_app.config["IDP_MAIL_SEND_AFTER_REQUEST"]:
        return response
    app = current_app._get_current_object()

    def deliver():
        with app.app_context():
            try:
                deliver_due(ids=ids, limit=len(ids))
            except Exception:  # noqa: BLE001 - the worker will send it later
                log.exception("sending right after the request failed; the worker will retry")
                db.session.rollback()

    response.call_on_close(deliver)
    return response
