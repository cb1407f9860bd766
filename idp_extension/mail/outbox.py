"""The transactional outbox: write with the change, deliver after commit, retry with backoff.

Guarantees
----------
* ``enqueue`` only adds a row to the caller's session: the mail exists if and only if the
  change that caused it is committed. Nothing else in the provider sends mail.
* A sender *claims* a few due messages at a time (``CLAIM_SIZE``): it picks candidates (on
  PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so concurrent workers never wait on each other)
  and marks them SENDING with a lease by a conditional UPDATE (a compare-and-set, which is
  what makes the claim atomic on SQLite), and commits at once. Only then does it talk SMTP,
  committing each message's outcome right after its send. No database lock or transaction is
  held across the SMTP call, so a slow mail server never blocks sign-ups (on SQLite a held
  write transaction would lock the whole file). Any number of workers and requests may send
  at once; none sends a message another one holds. Sender hosts need synchronised clocks
  (NTP): leases compare their times.
* Delivery is at-least-once. A sender killed after the server accepted a message but before
  its own commit leaves the row SENDING; once the lease (``IDP_MAIL_LEASE_SECONDS``) runs out
  another sender claims and sends it again: at most one duplicate per killed sender, carrying
  the same Message-ID so receiving systems can recognise it.
* Transient failures are retried with exponential backoff (``IDP_MAIL_RETRY_BASE_SECONDS``,
  doubling, capped by ``IDP_MAIL_RETRY_MAX_SECONDS``) until ``IDP_MAIL_MAX_ATTEMPTS``
  attempts, then the message is FAILED. A permanent refusal of the message itself (a 5xx to
  the recipient or the content) fails it at once: the retry budget for a permanent reply is
  zero, since asking the same server the same thing again only repeats the refusal and delays
  the member's "new link" action. Session-level 5xx (sender refused) are the provider's
  configuration, not the message's, and are retried like transient errors.
* A server-level failure (connection refused, timeout, TLS or login refused:
  ``TransportUnavailableError``) is not the message's fault either: the message goes back to
  the queue as it was (no attempt counted, no backoff of its own) and the pass stops. The
  worker then backs off *as a whole* and probes (``IDP_MAIL_PROBE_MAX_SECONDS``), so when the
  server answers again the whole backlog leaves within seconds, however long the outage.
  An admin can put a FAILED message back in the queue with ``retry_failed``.
* Bodies are sealed at rest (they carry one-time links) and emptied once the message is sent,
  except with the demo mailbox transport, which shows them on its page.
* SMS are outbox rows too (``channel`` "sms", the E.164 number as recipient, the text as
  ``body_text``), with the same guarantees; they leave through the SMS sender
  (sms/senders.py). Each channel is delivered on its own in a pass: an SMS gateway outage
  never holds mail back, nor an SMTP outage SMS.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Iterable
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app, make_response
from sqlalchemy import and_, func, or_, select, update

from .. import clock
from ..db import db
from ..errors import IdpError
from ..models import OutboxChannel, OutboxMessage, OutboxStatus
from ..security import audit
from ..security.log_redaction import logger_for
from ..security.sealing import InvalidToken, seal, unseal
from ..settings import settings
from ..transaction import in_transaction, operation, transaction
from .sender import PermanentDeliveryError, TransportUnavailableError

log = logger_for(__name__)

OUTCOMES = ("sent", "retry", "failed")
# Messages claimed per statement: fewer commits than one by one, and a small enough set that
# a killed sender delays only these few (it can re-send at most the one in hand).
CLAIM_SIZE = 10


class OutboxMessageNotFoundError(IdpError, LookupError):
    """No outbox message has this id."""

    code, status = "message_not_found", 404


class MessageNotFailedError(IdpError, ValueError):
    """Only a FAILED message can be put back in the queue."""

    code, status = "message_not_failed", 409


def _state():
    return current_app.extensions["idp"]


def _message_domain() -> str:
    return settings().base_url.split("://", 1)[1].split("/")[0].split(":")[0]


def enqueue(
    kind: str,
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    *,
    locale: str | None = None,
    channel: OutboxChannel = OutboxChannel.MAIL,
) -> OutboxMessage:
    """Add a message to the caller's transaction (never commits); bodies are sealed.

    Its ``id`` exists once the caller flushes or commits; pass it to ``send_after_response``.
    """
    if any(char in recipient + subject for char in "\r\n") or len(recipient) > 254:
        raise ValueError("a mail recipient or subject cannot hold a line break")
    key = current_app.config["SECRET_KEY"]
    message = OutboxMessage(
        kind=kind,
        channel=channel.value,
        recipient=recipient,
        locale=locale,
        subject=subject[:255],
        body_text=seal(key, body_text),
        body_html=seal(key, body_html) if body_html is not None else None,
        message_id=email.utils.make_msgid(domain=_message_domain()),
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=clock.now(),
    )
    db.session.add(message)
    return message


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after ``attempts`` failures: base, 2×base, 4×base ... capped."""
    base = settings().mail_retry_base_seconds
    cap = settings().mail_retry_max_seconds
    exponent = min(max(attempts - 1, 0), 32)  # keeps the integer small for huge counts
    return min(base * 2**exponent, cap)


def _due(cutoff: datetime):
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= cutoff),
        # A sender died holding it: its lease ran out.
        and_(
            OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_expires_at <= cutoff
        ),
    )


def claim_due(
    *,
    limit: int = 1,
    ids: Iterable[int] | None = None,
    cutoff: datetime | None = None,
    channel: OutboxChannel | None = None,
) -> list[OutboxMessage]:
    """Atomically take up to ``limit`` due messages (SENDING, leased to us); commits the claim."""
    now = clock.now()
    cutoff = now if cutoff is None else cutoff
    candidates = (
        select(OutboxMessage.id)
        .where(_due(cutoff))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if ids is not None:
        candidates = candidates.where(OutboxMessage.id.in_(list(ids)))
    if channel is not None:
        candidates = candidates.where(OutboxMessage.channel == channel.value)
    if db.session.get_bind().dialect.name == "postgresql":
        # Lock the candidates, skipping rows another sender is claiming right now. (Kept as its
        # own statement: inside ``UPDATE ... WHERE id IN (subquery)`` PostgreSQL may run the
        # subquery more than once and claim far more than ``limit`` rows.)
        candidates = candidates.with_for_update(skip_locked=True)
    lease = settings().mail_lease_seconds
    # Its own operation, committed before any SMTP talk: the lease is what other senders see.
    with transaction():
        candidate_ids = db.session.scalars(candidates).all()
        if not candidate_ids:
            return []
        claimed = db.session.scalars(
            update(OutboxMessage)
            # Repeating the due condition makes the UPDATE a compare-and-set: on SQLite,
            # where the SELECT locked nothing, a row another sender took no longer matches.
            .where(OutboxMessage.id.in_(candidate_ids), _due(cutoff))
            .values(
                status=OutboxStatus.SENDING,
                lease_expires_at=now + lease,
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
    if not claimed:
        return []
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )


@operation
def release(messages: list[OutboxMessage]) -> None:
    """Give back claimed messages that were not tried (the attempt does not count); commits."""
    if messages:
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_([message.id for message in messages]),
                OutboxMessage.status == OutboxStatus.SENDING,
            )
            .values(
                status=OutboxStatus.PENDING,
                lease_expires_at=None,
                attempts=OutboxMessage.attempts - 1,
            )
            .execution_options(synchronize_session=False)
        )


def _reschedule(message: OutboxMessage, now: datetime, error: str) -> str:
    message.last_error = error[:500]
    message.lease_expires_at = None
    if message.attempts >= settings().mail_max_attempts:
        message.status = OutboxStatus.FAILED
        log.warning("mail %s failed after %s attempts", message.id, message.attempts)
        return "failed"
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now + retry_delay(message.attempts)
    log.info(
        "mail %s not sent (attempt %s), next try at %s",
        message.id,
        message.attempts,
        message.next_attempt_at.isoformat(),
    )
    return "retry"


def _fail(message: OutboxMessage, error: str) -> str:
    message.status = OutboxStatus.FAILED
    message.lease_expires_at = None
    message.last_error = error[:500]
    log.warning("mail %s failed permanently", message.id)
    return "failed"


def _mark_sent(message: OutboxMessage, now: datetime) -> str:
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.lease_expires_at = None
    message.last_error = None
    if not getattr(_channel_sender(message.channel), "keeps_bodies", False):
        # Sent: the link inside must not linger in the database.
        message.body_text, message.body_html = "", None
    return "sent"


def _give_back(message: OutboxMessage, error: str) -> str:
    """The server was unreachable: the message waits as it was, its retry budget untouched."""
    message.status = OutboxStatus.PENDING
    message.lease_expires_at = None
    message.attempts = max(message.attempts - 1, 0)  # the claim counted one
    message.last_error = error[:500]
    log.info("mail %s waits: the mail server is unavailable", message.id)
    return "retry"


class Delivery(dict[str, int]):
    """Counts per outcome of one ``deliver_due`` call; ``server_unavailable`` says whether it
    stopped because the mail server could not be reached."""

    server_unavailable: bool = False


class Attempt(NamedTuple):
    """The outcome of one attempt, and whether the mail server looked unreachable."""

    outcome: str  # one of OUTCOMES
    unavailable: bool


# Its own operation, one per message: the outcome is committed right after its send, so a
# sender killed later sends this message again at most once (see the module docstring).
@operation
def attempt(message: OutboxMessage, send: Callable[..., None]) -> Attempt:
    """Send one claimed message with ``send`` and commit its new state."""
    now = clock.now()
    unavailable = False
    try:
        key = current_app.config["SECRET_KEY"]
        body_text = unseal(key, message.body_text)
        body_html = unseal(key, message.body_html) if message.body_html else None
        send(
            sender=settings().mail_sender,
            recipient=message.recipient,
            subject=message.subject,
            body_text=body_text,
            body_html=body_html,
            message_id=message.message_id,
            date_header=email.utils.format_datetime(now),
        )
    except PermanentDeliveryError as error:
        outcome = _fail(message, f"permanent: {error}")
    except InvalidToken:
        outcome = _fail(
            message,
            "permanent: the sealed body cannot be opened "
            "(IDP_SECRET_KEY changed since it was written)",
        )
    except TransportUnavailableError as error:
        unavailable = True
        outcome = _give_back(message, f"server unavailable: {error}")
    except Exception as error:  # noqa: BLE001 - any other transport error is retried
        outcome = _reschedule(message, clock.now(), f"{type(error).__name__}: {error}")
    else:
        outcome = _mark_sent(message, now)
    return Attempt(outcome, unavailable)


def _channel_sender(channel: str):
    return _state().sms if channel == OutboxChannel.SMS.value else _state().mailer


class _SmsTransport:
    """The SMS sender behind the mail transport's ``send(**fields)``."""

    def __init__(self, sender):
        self.sender = sender

    def send(self, *, recipient: str, body_text: str, **_fields) -> None:
        self.sender.send(recipient, body_text)


@contextmanager
def _transport_session(channel: OutboxChannel = OutboxChannel.MAIL):
    if channel == OutboxChannel.SMS:
        yield _SmsTransport(_state().sms)
        return
    mailer = _state().mailer
    opener = getattr(mailer, "session", None)
    with opener() if opener is not None else nullcontext(mailer) as session:
        yield session


def _lease_too_short(message: OutboxMessage) -> bool:
    """True when the claim may run out during the send (someone else could then take it)."""
    margin = timedelta(seconds=2 * settings().mail_timeout)
    assert message.lease_expires_at is not None  # a claimed message carries its lease
    return clock.now() + margin >= message.lease_expires_at


def deliver_due(
    *,
    ids: Iterable[int] | None = None,
    limit: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Delivery:
    """Send messages due now (all, or only ``ids``): claimed a few at a time, one commit each.

    Stops after ``limit`` messages, when ``should_stop()`` turns true (checked between
    messages); a channel (mail, SMS) stops at the first sign its server is unreachable, the
    other goes on. Claimed messages not tried are given back at once. Each message is tried at
    most once per call. Returns the counts (a ``Delivery``, which also tells whether the mail
    server was unreachable: the worker then backs off; an SMS gateway outage only ends the SMS
    part of each pass, the next pass probes it again with one message).
    """
    if in_transaction():
        # Claims and outcomes commit on their own; inside an operation they could not.
        raise RuntimeError("deliver_due runs outside any operation")
    counts = Delivery(dict.fromkeys(OUTCOMES, 0))
    ids = list(ids) if ids is not None else None
    cutoff = clock.now()
    handled = 0
    for channel in OutboxChannel:
        if (limit is not None and handled >= limit) or (should_stop and should_stop()):
            break
        handled += _deliver_channel(channel, counts, ids, limit, handled, should_stop, cutoff)
    return counts


def _deliver_channel(channel, counts, ids, limit, handled_before, should_stop, cutoff) -> int:
    """``deliver_due`` for one channel; how many messages it tried."""
    handled = handled_before
    with _transport_session(channel) as transport:
        while limit is None or handled < limit:
            size = CLAIM_SIZE if limit is None else min(CLAIM_SIZE, limit - handled)
            claimed = claim_due(limit=size, ids=ids, cutoff=cutoff, channel=channel)
            if not claimed:
                break
            finished = False
            for index, message in enumerate(claimed):
                stopping = should_stop is not None and should_stop()
                if stopping or _lease_too_short(message):
                    release(claimed[index:])  # a fresh claim follows unless we are stopping
                    finished = stopping
                    break
                result = attempt(message, transport.send)
                counts[result.outcome] += 1
                handled += 1
                if result.unavailable:
                    # The worker's backoff is the mail server's; SMS are probed every pass.
                    if channel == OutboxChannel.MAIL:
                        counts.server_unavailable = True
                    release(claimed[index + 1 :])
                    finished = True
                    break
            if finished:
                break
    return handled - handled_before


def send_after_response(response, ids: Iterable[int | None]):
    """Try the given messages once, after the response has gone to the browser.

    Call it after committing the change that wrote them; whatever fails waits for the worker.
    """
    response = make_response(response)
    due = [message_id for message_id in ids if message_id is not None]
    if not due or not settings().mail_send_after_request:
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy, typed as what it stands for

    def deliver():
        with app.app_context():
            try:
                deliver_due(ids=due, limit=len(due))
            except Exception:  # noqa: BLE001 - the worker will send it later
                log.exception("sending right after the request failed; the worker will retry")
                db.session.rollback()

    response.call_on_close(deliver)
    return response


def requeue_failed(message_id: int) -> OutboxMessage:
    """Put a FAILED message back in the queue, due now with a fresh retry budget.

    Part of the caller's transaction: it neither audits nor commits.
    """
    message = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise OutboxMessageNotFoundError(message_id)
    if message.status != OutboxStatus.FAILED:
        raise MessageNotFailedError(message_id)
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = clock.now()
    message.lease_expires_at = None
    return message


@operation
def retry_failed(message_id: int, *, actor_id: int | None = None) -> OutboxMessage:
    """``requeue_failed``, audited as ``mail_retry`` and committed."""
    message = requeue_failed(message_id)
    audit.record("mail_retry", account_id=actor_id, message_id=message.id, kind=message.kind)
    return message


def counts_by_status() -> dict[str, int]:
    """How many messages are in each state (for the admin dashboard and the worker)."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = {status.value: 0 for status in OutboxStatus}
    counts.update({str(status): number for status, number in rows})
    return counts
