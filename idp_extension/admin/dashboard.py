"""The dashboard's figures: what support staff check first each morning."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import case, func, select

from ..db import db
from ..models import Account, AccountStatus, AuditEvent, MemberRecord, OutboxMessage, OutboxStatus

PERIODS = (7, 30)  # days
PENDING_TOO_LONG = timedelta(hours=24)
# The figures that read a whole table (one pass over the accounts, the register's count) are
# kept this long per process: the page took a median 205 ms with 100,000 accounts on a busy
# 2-core machine (scripts/bench_admin_lists.py), support staff reload it often, and these
# figures move slowly. What an admin's own action changes (failed mail) and today's events
# stay live: they read a few index entries.
TABLE_FIGURES_TTL = timedelta(seconds=30)


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


def _events_since(names: tuple[str, ...], since: datetime) -> dict[str, int]:
    """How many events of each kind since ``since``, in one query that reads only those index
    entries (``ix_audit_events_event_created_at``), never the whole log."""
    rows = db.session.execute(
        select(AuditEvent.event, func.count())
        .where(AuditEvent.event.in_(names), AuditEvent.created_at >= since)
        .group_by(AuditEvent.event)
    )
    counts = dict.fromkeys(names, 0)
    counts.update({name: int(number) for name, number in rows})
    return counts


def _accounts_figures(now: datetime) -> dict[str, int]:
    """Every figure about accounts in one pass over the table (one scan, not nine)."""

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    columns = {
        f"status_{status.value}": counted(Account.status == status) for status in AccountStatus
    }
    for days in PERIODS:
        since = now - timedelta(days=days)
        columns[f"signups_{days}"] = counted(Account.created_at >= since)
        columns[f"activations_{days}"] = counted(Account.activated_at >= since)
    columns["pending_over_24h"] = counted(
        (Account.status == AccountStatus.PENDING) & (Account.created_at < now - PENDING_TOO_LONG)
    )
    row = db.session.execute(select(*(c.label(name) for name, c in columns.items()))).one()
    return {name: int(value) for name, value in row._mapping.items()}


def _table_figures(now: datetime) -> dict[str, int]:
    """The whole-table figures, counted at most once per ``TABLE_FIGURES_TTL`` (by the
    application's clock) in this process."""
    cache = current_app.extensions["idp"].dashboard_cache
    counted_at, figures = cache.get("table_figures", (None, None))
    if counted_at is None or not (timedelta(0) <= now - counted_at < TABLE_FIGURES_TTL):
        figures = {
            **_accounts_figures(now),
            "members": _count(select(func.count()).select_from(MemberRecord)),
        }
        cache["table_figures"] = (now, figures)
    return figures


def dashboard(now: datetime) -> Dashboard:
    """The figures as of ``now``; "today" is the UTC day.

    Set-based, one query per table: accounts in one pass with CASE and the register's count
    (both cached briefly, see ``TABLE_FIGURES_TTL``), today's events and the outbox from
    their indexes."""
    accounts = _table_figures(now)
    mail = {status.value: 0 for status in (OutboxStatus.PENDING, OutboxStatus.FAILED)}
    for status, number in db.session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
        .group_by(OutboxMessage.status)
    ):
        mail[OutboxStatus(status).value] = number
    today = datetime.combine(now.date(), time.min, now.tzinfo)
    events = _events_since(("login_failed", "account_locked"), today)
    return Dashboard(
        accounts_by_status={
            status.value: accounts[f"status_{status.value}"] for status in AccountStatus
        },
        members=accounts["members"],
        signups={days: accounts[f"signups_{days}"] for days in PERIODS},
        activations={days: accounts[f"activations_{days}"] for days in PERIODS},
        pending_over_24h=accounts["pending_over_24h"],
        failed_logins_today=events["login_failed"],
        lockouts_today=events["account_locked"],
        mail=mail,
    )
