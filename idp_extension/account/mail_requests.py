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
from ..transaction import operation
from . import service

log = logging.getLogger(__name__)

PASSWORD_RESET = "password_reset"  # noqa: S105 - a request kind, not a password
ACTIVATION = "activation"
KINDS = (PASSWORD_RESET, ACTIVATION)


@operation
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


def reset_link(token: str) -> str:
    """The absolute reset link for a mail (built without a request: the worker has none)."""
    return urls.public_url("account.reset_password", token=token)


def _act(request: MailRequest) -> None:
    """The work a request asks for, in the operation that removes the request."""
    if request.kind == PASSWORD_RESET:
        service.request_password_reset(
            request.email, now=clock.now(), link_for=reset_link, ip_address=request.ip_address
        )
    else:
        service.resend_activation(request.email, ip_address=request.ip_address)


def process_due(*, limit: int = 100) -> int:
    """Act on up to ``limit`` recorded requests, oldest first; the number handled.

    Each request is taken by deleting it in the operation that does its work: of two
    workers only the one whose DELETE removes the row acts on it. A request whose work fails
    is dropped and logged (the member can ask again); it never blocks the ones behind it.
    One operation per request, not one for the loop: each member's mail goes out on its own.
    """
    handled = 0
    while handled < limit:
        taken: list[tuple[int, str]] = []
        try:
            outcome = _take_and_act(taken)
        except Exception:  # noqa: BLE001 - one bad request must not stop the mail
            if not taken:
                raise
            request_id, kind = taken[0]
            log.exception("mail request %s (%s) failed; dropped", request_id, kind)
            _drop(request_id)
            outcome = _ACTED
        if outcome == _NONE_LEFT:
            break
        if outcome == _ACTED:
            handled += 1
    return handled


_NONE_LEFT, _RACED, _ACTED = "none_left", "raced", "acted"


@operation
def _take_and_act(taken: list[tuple[int, str]]) -> str:
    """Take the oldest request and do its work, together; ``taken`` gets its id and kind."""
    query = select(MailRequest).order_by(MailRequest.id).limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    request = db.session.scalars(query).first()
    if request is None:
        return _NONE_LEFT
    removed = db.session.execute(
        delete(MailRequest)
        .where(MailRequest.id == request.id)
        .execution_options(synchronize_session=False)
    )
    if rowcount(removed) != 1:  # another worker took it first
        return _RACED
    taken.append((request.id, request.kind))
    _act(request)
    return _ACTED


@operation
def _drop(request_id: int) -> None:
    # Its work was rolled back with its removal: removed again, on its own.
    db.session.execute(delete(MailRequest).where(MailRequest.id == request_id))
