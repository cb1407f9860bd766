"""The dashboard's figures: what support staff check first each morning."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from ..db import db
from ..models import Account, AccountStatus, AuditEvent, MemberRecord, OutboxMessage, OutboxStatus

PERIODS = (7, 30)  # days
PENDING_TOO_LONG = timedelta(hours=24)


@dataclass(frozen=True)
class Dashboard:
    accounts_by_status: dict[str, int]
    members: int
    signups: dict[int, int]  # accounts created in the last N days
    activations: dict[int, int]  # accounts activated in the last N days
    pending_over_24h: int
    failed_logins_today: int
    lockouts_today: int
    mail: dict[str, int] = field(default_factory=dict)


def _count(statement) -> int:
    return db.session.scalar(statement) or 0


def _events_since(name: str, since: datetime) -> int:
    return _count(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.event == name, AuditEvent.created_at >= since)
    )


def dashboard(now: datetime) -> Dashboard:
    """The figures as of ``now``; "today" is the UTC day."""
    by_status = {status.value: 0 for status in AccountStatus}
    for status, number in db.session.execute(
        select(Account.status, func.count()).group_by(Account.status)
    ):
        by_status[AccountStatus(status).value] = number
    mail = {status.value: 0 for status in (OutboxStatus.PENDING, OutboxStatus.FAILED)}
    for status, number in db.session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
        .group_by(OutboxMessage.status)
    ):
        mail[OutboxStatus(status).value] = number
    today = datetime.combine(now.date(), time.min, now.tzinfo)
    count_accounts = select(func.count()).select_from(Account)
    return Dashboard(
        accounts_by_status=by_status,
        members=_count(select(func.count()).select_from(MemberRecord)),
        signups={
            days: _count(count_accounts.where(Account.created_at >= now - timedelta(days=days)))
            for days in PERIODS
        },
        activations={
            days: _count(count_accounts.where(Account.activated_at >= now - timedelta(days=days)))
            for days in PERIODS
        },
        pending_over_24h=_count(
            count_accounts.where(
                Account.status == AccountStatus.PENDING,
                Account.created_at < now - PENDING_TOO_LONG,
            )
        ),
        failed_logins_today=_events_since("login_failed", today),
        lockouts_today=_events_since("account_locked", today),
        mail=mail,
    )
