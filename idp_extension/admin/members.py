"""Admin rules for the member register: find a member, correct a record, end or restore a
membership, and import a file in two steps (a preview that writes nothing, then the import).

Every change names the admin in an ``admin_action`` audit row written in the same transaction
as the change. Ending a membership suspends the member's account as the nightly import does
(``enrollment.membership``): sessions end, tokens are revoked, sign-in is refused.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, or_, select

from ..db import db
from ..enrollment import membership
from ..enrollment.importing import ImportReport, import_members
from ..models import Account, MemberRecord, MemberStatus
from ..security.audit import record
from ..transaction import operation
from .accounts import _like
from .errors import AdminActionError
from .pages import PAGE_SIZE, Cursor, Page, seek

# How many rejected lines the console shows, and rows of each kind in a preview.
SHOWN_REJECTED = 100
SAMPLE_ROWS = 20
# An upload not applied within this time is deleted at the next upload.
UPLOAD_LIFETIME_SECONDS = 24 * 3600
_UPLOAD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def search_members(query: str = "", cursor: Cursor | None = None, size: int = PAGE_SIZE) -> Page:
    """Members by number: those whose number starts with ``query`` (digits), or whose names
    contain it."""
    statement = select(MemberRecord)
    cursor = cursor or Cursor()
    query = query.strip()
    if query.isascii() and query.isdigit():
        # A number's beginning: a range on the primary key, not a scan of the names.
        if len(query) > 8:
            return Page(items=[], number=1, has_next=False)
        statement = statement.where(
            MemberRecord.member_number.between(query.ljust(8, "0"), query.ljust(8, "9"))
        )
    elif query:
        pattern = _like(query.lower())
        statement = statement.where(
            or_(
                MemberRecord.member_number.startswith(query, autoescape=True),
                func.lower(MemberRecord.last_name).like(pattern, escape="\\"),
                func.lower(MemberRecord.first_name).like(pattern, escape="\\"),
            )
        )
    return seek(statement, MemberRecord.member_number, cursor, size, descending=False)


def find_member(member_number: str) -> tuple[MemberRecord, Account | None]:
    """The record and the account of one member; ``AdminActionError("not_found")`` if none."""
    member = db.session.get(MemberRecord, member_number) if member_number.isdigit() else None
    if member is None:
        raise AdminActionError("not_found")
    account = db.session.scalar(select(Account).where(Account.member_number == member_number))
    return member, account


@operation
def update_member(
    member_number: str,
    *,
    last_name: str,
    first_name: str,
    birth_date: date,
    admin_id: int,
    now: datetime,
    ip_address: str | None = None,
) -> MemberRecord:
    """Correct a member's names or birth date (as the core system would in its next export)."""
    member, account = find_member(member_number)
    before = {
        "last_name": member.last_name,
        "first_name": member.first_name,
        "birth_date": member.birth_date.isoformat(),
    }
    after = {"last_name": last_name, "first_name": first_name, "birth_date": birth_date.isoformat()}
    changed = sorted(key for key in before if before[key] != after[key])
    member.last_name, member.first_name, member.birth_date = last_name, first_name, birth_date
    member.updated_at = now
    record(
        "admin_action",
        account_id=admin_id,
        ip_address=ip_address,
        action="update_member",
        member_number=member_number,
        changed=changed,
    )
    return member


@operation
def set_membership(
    member_number: str,
    active: bool,
    *,
    admin_id: int,
    now: datetime,
    ip_address: str | None = None,
) -> MemberRecord:
    """End a membership (the account is suspended with it) or restore it (the account returns,
    none of its old sessions or tokens do)."""
    member, account = find_member(member_number)
    wanted = MemberStatus.ACTIVE if active else MemberStatus.TERMINATED
    if member.status == wanted:
        return member
    member.status = wanted
    member.updated_at = now
    db.session.flush()
    connection = db.session.connection()
    if active:
        accounts = membership.reinstate_accounts(connection, [member_number], now=now)
    else:
        accounts = membership.suspend_accounts(
            connection, [member_number], now=now, reason="terminated_by_admin"
        )
    if account is not None:
        db.session.expire(account)  # changed by the statements above, behind the ORM
    record(
        "admin_action",
        account_id=admin_id,
        ip_address=ip_address,
        action="reinstate_member" if active else "terminate_member",
        member_number=member_number,
        accounts=accounts,
    )
    return member


# --- Import in two steps -------------------------------------------------------------------


class UploadStore:
    """Uploaded register files, kept on disk between the preview and the import.

    Each is named by 32 random bytes that only the admin's preview page carries."""

    def __init__(self, folder: Path):
        self.folder = folder

    def save(self, upload, *, now: float | None = None) -> str:
        """Copy an upload (a werkzeug ``FileStorage``, already spooled to disk by the form
        parser when large) to the store, a chunk at a time; its token."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # The system time, not the app's clock: it is compared with the files' mtime.
        self._prune(now if now is not None else time.time())
        token = secrets.token_urlsafe(32)
        upload.save(self.path(token))
        return token

    def path(self, token: str) -> Path:
        if not isinstance(token, str) or not _UPLOAD_TOKEN.match(token):
            raise AdminActionError("upload_gone")
        return self.folder / f"{token}.csv"

    def existing(self, token: str) -> Path:
        path = self.path(token)
        if not path.is_file():
            raise AdminActionError("upload_gone")
        return path

    def discard(self, token: str) -> None:
        self.path(token).unlink(missing_ok=True)

    def _prune(self, now: float) -> None:
        for old in self.folder.glob("*.csv"):
            try:
                if now - old.stat().st_mtime > UPLOAD_LIFETIME_SECONDS:
                    old.unlink()
            except FileNotFoundError:
                continue


def preview_import(path: Path, *, terminate_missing: bool, max_percent: float) -> ImportReport:
    """What importing this file would add, update, terminate and reject: nothing is written.

    The same code path as ``flask idp import-members --dry-run`` (``TerminationGuardError``
    when the guard would refuse the import)."""
    return import_members(
        path,
        dry_run=True,
        terminate_missing=terminate_missing,
        max_terminate_percent=max_percent,
        keep_rejected=SHOWN_REJECTED,
        sample_rows=SAMPLE_ROWS,
    )


@operation
def apply_import(
    path: Path,
    *,
    terminate_missing: bool,
    max_percent: float,
    admin_id: int,
    ip_address: str | None = None,
) -> ImportReport:
    """Import the previewed file, naming the admin in the audit, in one transaction."""
    report = import_members(
        path,
        terminate_missing=terminate_missing,
        max_terminate_percent=max_percent,
        keep_rejected=SHOWN_REJECTED,
        ip_address=ip_address,
    )
    record(
        "admin_action",
        account_id=admin_id,
        ip_address=ip_address,
        action="import_members",
        added=report.added,
        updated=report.updated,
        terminated=report.terminated,
        rejected=report.rejected_count,
    )
    return report
