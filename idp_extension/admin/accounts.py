"""Admin rules for members' accounts: find one, see it whole, and act on it (each audited).

Every action names the admin in an ``admin_action`` audit row written in the same transaction
as the change, so the change and its trace land together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..account import service as account_service
from ..account.pause import SignInPause
from ..clock import as_utc
from ..db import db
from ..enrollment import service as enrollment
from ..models import Account, AccountStatus, AuditEvent, MemberRecord
from ..models.oauth import OAuthClient, Token
from ..models.search_text import fold_query
from ..oidc.consent import GrantedAccess, granted_accesses
from ..oidc.revocation import revoke_grants
from ..security.audit import record
from ..sso import end_account_sessions
from ..transaction import after_commit, operation
from .errors import AdminActionError

PAGE_SIZE = 50
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, its number, and whether another follows."""

    items: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def paginate(statement, page: int, size: int = PAGE_SIZE) -> Page:
    """Run ``statement`` for page ``page`` (from 1): one row more than shown tells whether a
    next page exists, without counting the whole table."""
    page = max(1, page)
    rows = list(db.session.scalars(statement.limit(size + 1).offset((page - 1) * size)))
    return Page(items=rows[:size], number=page, has_next=len(rows) > size)


def search_accounts(query: str = "", page: int = 1, size: int = PAGE_SIZE) -> Page:
    """Accounts, newest first, whose name, email, phone or member number contains ``query``
    (accents, case, spaces and hyphens ignored)."""
    # Ids grow with creation: the primary key orders the newest first without a sort.
    statement = select(Account).order_by(Account.id.desc())
    folded = fold_query(query or "")
    if folded:
        statement = statement.where(Account.search_text.like(_like(folded), escape="\\"))
    return paginate(statement, page, size)


@dataclass(frozen=True)
class AccountFile:
    """What the account page shows about one account."""

    account: Account
    member: MemberRecord | None
    locked: bool
    sessions: list[account_service.ActiveSession]
    applications: list[GrantedAccess]
    clients_holding_tokens: list[str]
    history: list[AuditEvent]


def get_account(account_id: int) -> Account:
    # An id beyond PostgreSQL's integer cannot name a row (and would make it raise).
    account = db.session.get(Account, account_id) if 0 < account_id < 2**31 else None
    if account is None:
        raise AdminActionError("not_found")
    return account


def lock_account(account_id: int) -> Account:
    """The account, locked for this transaction; ``AdminActionError`` when there is none."""
    account = (
        db.session.get(Account, account_id, with_for_update=True)
        if 0 < account_id < 2**31
        else None
    )
    if account is None:
        raise AdminActionError("not_found")
    return account


def account_file(account_id: int, *, now: datetime, pause: SignInPause) -> AccountFile:
    account = get_account(account_id)
    holders = db.session.scalars(
        select(OAuthClient.name)
        .join(Token, Token.client_pk == OAuthClient.id)
        .where(
            Token.account_id == account.id,
            Token.revoked_at.is_(None),
            (Token.access_expires_at > now) | (Token.refresh_expires_at > now),
        )
        .distinct()
        .order_by(OAuthClient.name)
    ).all()
    return AccountFile(
        account=account,
        member=db.session.get(MemberRecord, account.member_number),
        locked=account_service.is_locked(account, now) or pause.is_paused(account.email, now),
        sessions=account_service.active_sessions(account, now=now, current_digest=None),
        applications=granted_accesses(account.id),
        clients_holding_tokens=list(holders),
        history=account_history(account.id),
    )


def account_history(account_id: int, limit: int = HISTORY_LIMIT) -> list[AuditEvent]:
    """The account's own security events and the admin actions on it, newest first."""
    own = select(AuditEvent).where(AuditEvent.account_id == account_id)
    on_it = select(AuditEvent).where(
        AuditEvent.event == "admin_action",
        AuditEvent.details["target_account_id"].as_integer() == account_id,
    )
    events = {
        event.id: event
        for statement in (own, on_it)
        for event in db.session.scalars(statement.order_by(AuditEvent.id.desc()).limit(limit))
    }
    return sorted(events.values(), key=lambda event: event.id, reverse=True)[:limit]


def _audit(admin_id: int, action: str, account: Account, ip_address: str | None, **details):
    record(
        "admin_action",
        account_id=admin_id,
        ip_address=ip_address,
        action=action,
        target_account_id=account.id,
        **details,
    )


@operation
def resend_activation(account_id: int, *, admin_id: int, ip_address: str | None = None) -> int:
    """Mail a new activation link to a pending account (older links die); the outbox id."""
    account = get_account(account_id)
    if account.status != AccountStatus.PENDING:
        raise AdminActionError("not_pending")
    _audit(admin_id, "resend_activation", account, ip_address)
    try:
        # Joins this operation: the link, its mail and the audit row above land together.
        return enrollment.resend_activation(account.id, ip_address=ip_address)
    except enrollment.EnrollmentError:
        raise AdminActionError("not_pending") from None


@operation
def send_password_reset(
    account_id: int,
    *,
    admin_id: int,
    now: datetime,
    link_for: Callable[[str], str],
    ip_address: str | None = None,
) -> int:
    """Mail a reset link to an active account (older links die); the outbox id."""
    account = get_account(account_id)
    if account.status != AccountStatus.ACTIVE:
        raise AdminActionError("not_active")
    _audit(admin_id, "send_password_reset", account, ip_address)
    # Joins this operation: the link, its mail and the audit row above land together.
    message_id = account_service.request_password_reset(
        account.email, now=now, link_for=link_for, ip_address=ip_address
    )
    if message_id is None:
        raise AdminActionError("not_active")
    return message_id


@operation
def unlock(
    account_id: int,
    *,
    admin_id: int,
    now: datetime,
    pause: SignInPause,
    ip_address: str | None = None,
) -> Account:
    """End a lockout now (the account's and its address's sign-in pause) and start the count
    of failed logins afresh."""
    account = lock_account(account_id)
    locked = account_service.is_locked(account, now)
    if not locked and not pause.is_paused(account.email, now):
        raise AdminActionError("not_locked")
    locked_until = as_utc(account.locked_until) if locked else None
    account.locked_until = None
    account.failed_logins = 0
    _audit(
        admin_id,
        "unlock_account",
        account,
        ip_address,
        locked_until=locked_until.isoformat() if locked_until else None,
    )
    # The pause is kept outside the database: lifted once the unlock is committed.
    email = account.email
    after_commit(lambda: pause.lift(email))
    return account


@operation
def set_account_enabled(
    account_id: int,
    enabled: bool,
    *,
    admin_id: int,
    now: datetime,
    ip_address: str | None = None,
) -> Account:
    """Disable an account (its sessions end, its tokens and codes are revoked) or enable it.

    Enabling returns the account to what it was before, active if it had been activated,
    pending otherwise, and brings back none of what disabling revoked.
    """
    account = lock_account(account_id)
    if not enabled and account.id == admin_id:
        raise AdminActionError("self")
    before = account.status
    if (before == AccountStatus.DISABLED) != enabled:
        return account
    details = {}
    if enabled:
        account.status = (
            AccountStatus.ACTIVE if account.activated_at is not None else AccountStatus.PENDING
        )
    else:
        account.status = AccountStatus.DISABLED
        details["sessions_ended"] = end_account_sessions(
            account.id, now=now, reason="account_disabled", ip_address=ip_address
        )
        # Revoked, not merely refused while disabled: enabling again resurrects nothing.
        details["tokens_revoked"] = revoke_grants(now=now, account_id=account.id)
    _audit(
        admin_id,
        "enable_account" if enabled else "disable_account",
        account,
        ip_address,
        status_before=before.value,
        status_after=account.status.value,
        **details,
    )
    return account


@operation
def reset_second_factor(
    account_id: int, *, admin_id: int, ip_address: str | None = None
) -> Account:
    """Forget a member's second factor (app, SMS choice, recovery codes); audited, committed."""
    from ..mfa.service import remove_second_factor

    account = get_account(account_id)
    remove_second_factor(account, ip_address=ip_address, actor_id=admin_id)
    return account
