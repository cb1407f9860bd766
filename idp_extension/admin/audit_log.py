"""The audit log as the console reads it: filtered pages, and a CSV export safe to open in a
spreadsheet (OWASP "CSV injection": a cell that starts like a formula is made plain text)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, text

from ..db import db
from ..models import Account, AuditEvent
from ..security.audit import record
from ..transaction import transaction
from .accounts import Page, paginate

# What a spreadsheet reads as the start of a formula (=, +, -, @) or a cell break (tab, CR).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("date", "event", "account_id", "client_id", "ip_address", "details")
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class AuditFilter:
    """What the console's filters ask for; empty fields filter nothing."""

    account: str = ""
    event: str = ""
    since: date | None = None
    until: date | None = None

    def as_args(self) -> dict[str, str]:
        """The filter as the query string of the journal and its export."""
        args = {
            "compte": self.account,
            "evenement": self.event,
            "du": self.since.isoformat() if self.since else "",
            "au": self.until.isoformat() if self.until else "",
        }
        return {key: value for key, value in args.items() if value}


def _statement(wanted: AuditFilter):
    statement = select(AuditEvent).order_by(AuditEvent.id.desc())
    account = wanted.account.strip()
    if account:
        account_id: int | None
        if account.isdigit() and len(account) < 10:
            account_id = int(account)
        else:
            account_id = db.session.scalar(
                select(Account.id).where(Account.email == account.casefold())
            )
        # An address nobody has matches no event (rather than every event).
        statement = statement.where(AuditEvent.account_id == (account_id or -1))
    if wanted.event:
        statement = statement.where(AuditEvent.event == wanted.event)
    if wanted.since:
        statement = statement.where(
            AuditEvent.created_at >= datetime.combine(wanted.since, time.min, UTC)
        )
    if wanted.until:
        end = datetime.combine(wanted.until, time.min, UTC) + timedelta(days=1)
        statement = statement.where(AuditEvent.created_at < end)
    return statement


def search(wanted: AuditFilter, page: int = 1) -> Page:
    """A page of events matching the filter, newest first."""
    return paginate(_statement(wanted), page)


# A loose index scan: one index probe per kind of event, not a pass over every event.
_EVENT_NAMES = text(
    """
    WITH RECURSIVE names(event) AS (
        SELECT MIN(event) FROM audit_events
        UNION ALL
        SELECT (SELECT MIN(event) FROM audit_events WHERE event > names.event)
        FROM names WHERE names.event IS NOT NULL
    )
    SELECT event FROM names WHERE event IS NOT NULL
    """
)


def event_names() -> list[str]:
    """Every kind of event the log holds, in order, for the filter's list."""
    return list(db.session.scalars(_EVENT_NAMES))


def neutralise(value: object) -> str:
    """A cell's text that a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _row(event: AuditEvent) -> list[str]:
    details = json.dumps(event.details or {}, ensure_ascii=False, sort_keys=True, default=str)
    return [
        neutralise(cell)
        for cell in (
            event.created_at.isoformat(),
            event.event,
            event.account_id,
            event.client_id,
            event.ip_address,
            details,
        )
    ]


def export_csv(
    wanted: AuditFilter, *, admin_id: int, ip_address: str | None = None
) -> Iterator[str]:
    """The matching events as CSV lines (header first), streamed in batches; the export itself
    is audited before the first line."""
    with transaction():
        record(
            "admin_action",
            account_id=admin_id,
            ip_address=ip_address,
            action="export_audit",
            **{f"filter_{key}": value for key, value in wanted.as_args().items()},
        )
    statement = _statement(wanted).execution_options(yield_per=EXPORT_BATCH)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        buffer.write("\ufeff")  # spreadsheets then read the file as UTF-8 (accents intact)
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for event in db.session.scalars(statement):
            writer.writerow(_row(event))
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return lines()
