"""Mail requests that must not tell whether an account exists: "forgotten password" and
"new activation link".

The request only records the address as typed (``record``: one INSERT, the same for every
address) and answers at once. The mail worker then acts on each (``process_due``): token,
outbox row, SMTP. Nothing of that runs on the request's connection, where a kept-alive
connection's next response would otherwise come late for an address that has an account.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from .. import clock, urls
from ..db import db, rowcount
from ..models import MailRequest
from . import service

log = logging.getLogger(__name__)

PASSWORD_RESET = "password_reset"  # noqa: S105 - a request kind, not a password
ACTIVATION = "activation"
KINDS = (PASSWORD_RESET, ACTIVATION)


def record(kind: str, email: str, *, ip_address: str | None = None) -> None:
    """Record a request for the worker; commits. Costs the same whatever the address."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail request {kind!r}")
    db.session.add(
        MailRequest(
            kind=kind,
            email=email.strip()[:254],
            ip_address=ip_address,
            created_at=clock.now(),
        )
    )
    db.session.commit()


def reset_link(token: str) -> str:
    """The absolute reset link for a mail (built without a request: the worker has none)."""
    return urls.public_url("account.reset_password", token=token)


def _act(request: MailRequest) -> None:
    """The work a request asks for; commits (with the request's removal) when it writes."""
    if request.kind == PASSWORD_RESET:
        service.request_password_reset(
            request.email, now=clock.now(), link_for=reset_link, ip_address=request.ip_address
        )
    else:
        service.resend_activation(request.email, ip_address=request.ip_address)


def process_due(*, limit: int = 100) -> int:
    """Act on up to ``limit`` recorded requests, oldest first; the number handled.

    Each request is taken by deleting it in the transaction that does its work: of two
    workers only the one whose DELETE removes the row acts on it. A request whose work fails
    is dropped and logged (the member can ask again); it never blocks the ones behind it.
    """
    handled = 0
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    while handled < limit:
        query = select(MailRequest).order_by(MailRequest.id).limit(1)
        if postgresql:
            query = query.with_for_update(skip_locked=True)
        request = db.session.scalars(query).first()
        if request is None:
            db.session.rollback()
            break
        taken = db.session.execute(
            delete(MailRequest)
            .where(MailRequest.id == request.id)
            .execution_options(synchronize_session=False)
        )
        if rowcount(taken) != 1:  # another worker took it first
            db.session.rollback()
            continue
        request_id, kind = request.id, request.kind
        try:
            _act(request)
        except Exception:  # noqa: BLE001 - one bad request must not stop the mail
            db.session.rollback()
            log.exception("mail request %s (%s) failed; dropped", request_id, kind)
        # Gone in any case: a service that rolled back (nothing to send) undid the removal.
        db.session.execute(delete(MailRequest).where(MailRequest.id == request_id))
        db.session.commit()
        handled += 1
    return handled
