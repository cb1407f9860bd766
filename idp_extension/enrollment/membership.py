"""A member's membership and their account: a terminated member loses access.

Termination suspends the account: its SSO sessions end, its access and refresh tokens are
revoked (so a later reinstatement resurrects none of them), and sign-in is refused with a
message pointing to the insurer. A member the register makes active again gets the account back
as it was (active, or pending if it was never activated), with nothing of the old grants.

Two ways in: the register import suspends and reinstates in bulk, set-based, in the import's
transaction (``suspend_accounts``, ``reinstate_accounts``); and for a pluggable registry (an
HTTP API of the insurer's core system, where no import tells us anything) the member's status is
looked up at each sign-in and each refresh (``membership_allows``), cached for
``IDP_REGISTRY_CACHE_SECONDS``. Only an explicit "terminated" ends access: a registry that does
not know a member (or cannot be reached) leaves the account as it is.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import JSON, case, insert, literal, select, update
from sqlalchemy.sql import Select

from ..db import db
from ..models import Account, AccountStatus, AuditEvent, MemberStatus, SsoSession
from ..models.oauth import Token
from ..models.types import UTCDateTime
from ..settings import settings
from ..transaction import operation

logger = logging.getLogger(__name__)

SESSION_END_REASON = "membership_ended"
_CACHE_LIMIT = 50_000


def _audit_each(connection, account_ids: Select, event: str, now: datetime, **details) -> None:
    connection.execute(
        insert(AuditEvent).from_select(
            ["created_at", "event", "account_id", "details"],
            select(
                literal(now, UTCDateTime), literal(event), Account.id, literal(details, JSON)
            ).where(Account.id.in_(account_ids)),
        )
    )


def suspend_accounts(connection, numbers: Select | list[str], *, now: datetime, reason: str) -> int:
    """Suspend the accounts (active or pending) of these member numbers; how many.

    Sessions end and tokens are revoked in the same statements' transaction (the caller's)."""
    holders = select(Account.id).where(
        Account.member_number.in_(numbers),
        Account.status.in_([AccountStatus.ACTIVE, AccountStatus.PENDING]),
    )
    _audit_each(connection, holders, "account_suspended", now, reason=reason)
    connection.execute(
        update(SsoSession)
        .where(SsoSession.account_id.in_(holders), SsoSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=SESSION_END_REASON)
    )
    connection.execute(
        update(Token)
        .where(Token.account_id.in_(holders), Token.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return connection.execute(
        update(Account)
        .where(
            Account.member_number.in_(numbers),
            Account.status.in_([AccountStatus.ACTIVE, AccountStatus.PENDING]),
        )
        .values(status=AccountStatus.SUSPENDED)
    ).rowcount


def reinstate_accounts(connection, numbers: Select | list[str], *, now: datetime) -> int:
    """Give suspended accounts of these member numbers back (no token nor session returns)."""
    suspended = select(Account.id).where(
        Account.member_number.in_(numbers), Account.status == AccountStatus.SUSPENDED
    )
    _audit_each(connection, suspended, "account_reinstated", now)
    return connection.execute(
        update(Account)
        .where(Account.member_number.in_(numbers), Account.status == AccountStatus.SUSPENDED)
        .values(
            status=case(
                (Account.activated_at.is_not(None), literal(AccountStatus.ACTIVE.value)),
                else_=literal(AccountStatus.PENDING.value),
            )
        )
    ).rowcount


# --- The check at sign-in and refresh -------------------------------------------------------


def membership_allows(account: Account, *, now: datetime) -> bool:
    """Whether the register lets this account act: False once the member is terminated.

    Brings the account in line with the register first (suspends it, or reinstates it when a
    pluggable registry says the member is active again), within the caller's operation (or
    its own, committed, outside any)."""
    status = registry_status(account.member_number, now=now)
    if status == MemberStatus.TERMINATED.value:
        if account.status in (AccountStatus.ACTIVE, AccountStatus.PENDING):
            _change(suspend_accounts, account, now=now, reason="member_terminated")
        return False
    if account.status == AccountStatus.SUSPENDED and status == MemberStatus.ACTIVE.value:
        _change(reinstate_accounts, account, now=now)
    return account.status != AccountStatus.SUSPENDED


@operation
def _change(change, account: Account, **arguments) -> None:
    change(db.session.connection(), [account.member_number], **arguments)
    db.session.flush()
    db.session.refresh(account)


def registry_status(member_number: str, *, now: datetime) -> str | None:
    """The member's status as the registry says it ("active", "terminated"), or None.

    The table registry is read each time (it is local, and the import keeps accounts in step);
    another registry's answer is kept ``IDP_REGISTRY_CACHE_SECONDS``; when it fails, the last
    answer (or None) stands, so an outage of the insurer's system locks nobody out."""
    from .registry import DatabaseRegistry

    state = current_app.extensions["idp"]
    registry = state.registry
    if isinstance(registry, DatabaseRegistry):
        return _status_of(registry.lookup(member_number))
    cache = state.membership_cache
    cached = cache.get(member_number)
    if cached is not None and cached[0] > now:
        return cached[1]
    try:
        status = _status_of(registry.lookup(member_number))
    except Exception:  # noqa: BLE001 - any failure of an outside system
        logger.warning("member registry lookup failed; last known status kept", exc_info=True)
        return cached[1] if cached is not None else None
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[member_number] = (now + settings().registry_cache_seconds, status)
    return status


def _status_of(record) -> str | None:
    if record is None:
        return None
    status = getattr(record, "status", None)
    return str(getattr(status, "value", status)) if status is not None else None
