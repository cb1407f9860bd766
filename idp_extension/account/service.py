"""Account rules: password login with lockout, forgotten password, password change, logout,
and the member's view of their own live sessions.

Every function takes its inputs explicitly (no request), is an operation (``transaction.py``):
its change lands together with the audit events and mail it causes, and it raises a typed error
the views map to a page. Refusals that must be remembered (a counted failed login, its audit)
are kept (``keep_on``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from flask import current_app
from sqlalchemy import ColumnElement, case, literal, null, or_, select, true, update

from ..clock import as_utc
from ..db import db, rowcount
from ..enrollment import service as enrollment
from ..enrollment.membership import membership_allows
from ..errors import IdpError
from ..mail import messages
from ..models import Account, AccountStatus, OneTimeToken, SsoSession, TokenPurpose
from ..models.types import UTCDateTime
from ..security import tokens
from ..security.audit import record
from ..security.passwords import PasswordPolicyError, unmet_rules
from ..settings import settings
from ..sso import end_account_sessions
from ..transaction import in_transaction, operation, transaction
from .devices import describe_user_agent


class LoginFailedError(IdpError):
    """Email unknown, password wrong, account pending, disabled or locked: one answer for all."""

    code, status = "login_failed", 422


class MembershipEndedError(LoginFailedError):
    """The right password, but the member's membership has ended: the account is suspended.

    Said only to whoever typed the right password, so it tells an attacker nothing."""

    code = "membership_ended"


# An unknown link is not found; a used or expired one is gone for good.
RESET_LINK_STATUS = {"unknown": 404, "used": 410, "expired": 410}


class ResetLinkError(IdpError):
    """A password-reset link that cannot be used; ``reason`` is unknown, expired or used."""

    code, status = "reset_link_unknown", 404

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.code = f"reset_link_{reason}"
        self.status = RESET_LINK_STATUS[reason]


class WrongCurrentPasswordError(IdpError):
    """The current password given to change it is not the account's."""

    code, status = "wrong_current_password", 422


class AccountLockedError(WrongCurrentPasswordError):
    """Too many wrong passwords (at login or on the profile): nothing is checked until the lock
    ends."""

    code = "account_locked"


def _state():
    return current_app.extensions["idp"]


def normalise_email(email: str) -> str:
    """Emails are stored lower-cased; compare people's typing the same way."""
    return email.strip().lower()


def find_account_by_email(email: str) -> Account | None:
    return db.session.scalar(select(Account).where(Account.email == normalise_email(email)))


# A suspended account (membership ended) still has its password checked: only then is the
# member told why they cannot sign in, or let in if the register has them active again.
SIGN_IN_STATUSES = (AccountStatus.ACTIVE, AccountStatus.SUSPENDED)


def is_locked(account: Account, now: datetime) -> bool:
    locked_until = as_utc(account.locked_until)
    return locked_until is not None and locked_until > now


# --- Login ---------------------------------------------------------------------------------


def authenticate(
    email: str, password: str, *, now: datetime, ip_address: str | None = None
) -> Account:
    """The active, unlocked account whose password this is; else ``LoginFailedError``.

    Every failure costs one argon2 computation, so timing does not tell the cases apart.
    The password of a locked account is not even checked: guessing it gains nothing.

    Two operations, not one: the attempt is counted and committed before the password is
    checked (``counted_check``), then its outcome lands with its audit (a failure is kept).
    """
    hashing = _state().passwords
    account = find_account_by_email(email)

    if account is None or account.status not in SIGN_IN_STATUSES:
        hashing.verify(None, password)
        reason = "unknown_email" if account is None else f"account_{account.status.value}"
        _fail(account, reason, ip_address)

    verdict = _checked_password(account, password, now, ip_address)
    with transaction(keep_on=(LoginFailedError,)):
        if verdict != RIGHT:
            _fail(account, "locked" if verdict == LOCKED else "wrong_password", ip_address)

        if not membership_allows(account, now=now):
            _fail(account, "membership_ended", ip_address, error=MembershipEndedError)

        if hashing.needs_rehash(account.password_hash):
            # The argon2 parameters changed since this hash was made: upgrade it while we hold
            # the password in clear.
            account.password_hash = hashing.hash(password)
        record("login_succeeded", account_id=account.id, ip_address=ip_address)
    return account


# Verdicts of ``_checked_password``.
LOCKED, WRONG, RIGHT = "locked", "wrong", "right"


def _checked_password(account: Account, password: str, now: datetime, ip_address: str | None):
    """A password checked under the lockout: ``LOCKED`` (not checked), ``WRONG`` or ``RIGHT``."""
    hashing = _state().passwords
    return counted_check(
        account,
        now,
        ip_address,
        check=lambda: hashing.verify(account.password_hash, password),
        # The same cost as a real check, so a locked account answers in the same time.
        when_locked=lambda: hashing.verify(None, password),
    )


def counted_check(
    account: Account,
    now: datetime,
    ip_address: str | None,
    *,
    check: Callable[[], bool],
    when_locked: Callable[[], object] = lambda: None,
) -> str:
    """Run ``check`` (a password, or a second factor) under the lockout: ``LOCKED`` (not even
    checked), ``WRONG`` or ``RIGHT``.

    The check is counted *before* it is made, by one conditional UPDATE that also places the
    lock when the count reaches IDP_LOCKOUT_THRESHOLD: parallel attempts cannot all read
    "unlocked" and then all check, so at most THRESHOLD secrets are ever checked per lock
    period, however many requests arrive at once. A right secret then clears the count (and
    the lock its own attempt placed); a wrong one leaves it counted.

    The count is its own operation, committed before the (slow) check starts: held open
    across it, it would keep the row (on SQLite the whole database) locked meanwhile. So it is
    called outside any operation, and what it writes after the check (the lock's audit, the
    cleared count) lands with the caller's next operation, its outcome.
    """
    if in_transaction():
        raise RuntimeError("counted_check commits its count: call it outside any operation")
    until = now + settings().lockout_seconds
    reaches = Account.failed_logins + 1 >= settings().lockout_threshold
    with transaction():
        claimed = db.session.execute(
            update(Account)
            .where(
                Account.id == account.id,
                or_(Account.locked_until.is_(None), Account.locked_until <= now),
            )
            .values(
                # Once the lock ends, a full new series of attempts is allowed.
                failed_logins=case((reaches, 0), else_=Account.failed_logins + 1),
                locked_until=case((reaches, literal(until, UTCDateTime())), else_=null()),
            )
            .returning(Account.locked_until)
            .execution_options(synchronize_session=False)
        ).first()
    _forget_lockout_state(account)
    if claimed is None:
        when_locked()
        return LOCKED
    placed_lock = claimed.locked_until is not None
    if not check():
        if placed_lock:
            record(
                "account_locked",
                account_id=account.id,
                ip_address=ip_address,
                until=until.isoformat(),
            )
        return WRONG
    mine: ColumnElement[bool] = Account.locked_until.is_(None) | (Account.locked_until <= now)
    if placed_lock:
        mine = true()  # the lock this very attempt placed
    db.session.execute(
        update(Account)
        .where(Account.id == account.id, mine)
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    _forget_lockout_state(account)
    return RIGHT


def _forget_lockout_state(account: Account) -> None:
    """Drop the count and lock held in memory, which the UPDATEs above bypassed: they are read
    again if used, and an assignment of the same value (``_set_password``) still writes."""
    db.session.expire(account, ["failed_logins", "locked_until"])


@operation(keep_on=(LoginFailedError,))
def _fail(
    account: Account | None,
    reason: str,
    ip_address: str | None,
    *,
    error: type[LoginFailedError] = LoginFailedError,
) -> NoReturn:
    record(
        "login_failed",
        account_id=account.id if account else None,
        ip_address=ip_address,
        reason=reason,
    )
    raise error(reason)


@operation
def record_logout(account_id: int | None, *, ip_address: str | None = None) -> None:
    """Write the logout to the audit trail (the caller clears the session)."""
    record("logout", account_id=account_id, ip_address=ip_address)


# --- Activation link, again ------------------------------------------------------------------


def resend_activation(email: str, *, ip_address: str | None = None) -> int | None:
    """Send a new activation link when a pending account has this email; the outbox id or None.

    The caller answers the same either way (no enumeration).
    """
    account = find_account_by_email(email)
    if account is None or account.status != AccountStatus.PENDING:
        return None
    try:
        return enrollment.resend_activation(account.id, ip_address=ip_address)
    except enrollment.EnrollmentError:
        # Activated or closed meanwhile: nothing to send, and the answer stays the same.
        return None


# --- Forgotten password ----------------------------------------------------------------------


@operation
def request_password_reset(
    email: str, *, now: datetime, link_for: Callable[[str], str], ip_address: str | None = None
) -> int | None:
    """Mail a single-use reset link to an active account with this email; the outbox id or None.

    ``link_for(token)`` builds the absolute URL of the reset page. A new link voids the
    previous ones. Nothing is written for an unknown address; the caller answers the same.
    """
    account = find_account_by_email(email)
    if account is None or account.status != AccountStatus.ACTIVE:
        return None
    ttl = settings().reset_ttl
    _void_tokens(account.id, TokenPurpose.PASSWORD_RESET, now)
    token = tokens.new_token()
    db.session.add(
        OneTimeToken(
            digest=tokens.digest(token),
            purpose=TokenPurpose.PASSWORD_RESET,
            account_id=account.id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    minutes = max(ttl // timedelta(minutes=1), 1)
    message = messages.password_reset(account, link_for(token), valid_minutes=minutes)
    record(
        "token_issued",
        account_id=account.id,
        ip_address=ip_address,
        purpose=TokenPurpose.PASSWORD_RESET.value,
    )
    db.session.flush()  # the outbox id, returned before the operation commits
    return message.id


def _void_tokens(account_id: int, purpose: TokenPurpose, now: datetime) -> None:
    db.session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.account_id == account_id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.voided_at.is_(None),
        )
        .values(voided_at=now)
    )


def check_reset_token(token: str, *, now: datetime) -> OneTimeToken:
    """The live reset token behind this link; ``ResetLinkError`` when it cannot be used."""
    found = db.session.scalar(
        select(OneTimeToken).where(
            OneTimeToken.digest == tokens.digest(token),
            OneTimeToken.purpose == TokenPurpose.PASSWORD_RESET,
        )
    )
    if found is None:
        raise ResetLinkError("unknown")
    if found.used_at is not None or found.voided_at is not None:
        raise ResetLinkError("used")
    if as_utc(found.expires_at) <= now:
        raise ResetLinkError("expired")
    if found.account.status != AccountStatus.ACTIVE:
        raise ResetLinkError("unknown")
    return found


@operation
def reset_password(
    token: str, new_password: str, *, now: datetime, ip_address: str | None = None
) -> Account:
    """Spend the link once and set the new password; the account, unlocked, to sign in."""
    check_password_policy(new_password)
    found = check_reset_token(token, now=now)
    # Claimed in one UPDATE: of two parallel submissions, only one gets the row.
    claimed = db.session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.id == found.id,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.voided_at.is_(None),
        )
        .values(used_at=now)
    )
    if rowcount(claimed) != 1:
        raise ResetLinkError("used")
    account = found.account
    _set_password(account, new_password, now)
    record("password_changed", account_id=account.id, ip_address=ip_address, via="reset")
    return account


# --- Password change (profile) ---------------------------------------------------------------


def change_password(
    account: Account,
    current_password: str,
    new_password: str,
    *,
    now: datetime,
    ip_address: str | None = None,
) -> Account:
    """Replace the password after checking the current one; other sessions end.

    Wrong current passwords count towards the lockout like failed logins: whoever holds an
    unattended session must not be able to guess the password here without limit. Like
    ``authenticate``, two operations: the counted check, then its outcome (a refusal kept).
    """
    verdict = _checked_password(account, current_password, now, ip_address)
    with transaction(keep_on=(WrongCurrentPasswordError,)):
        if verdict != RIGHT:
            record(
                "password_change_refused",
                account_id=account.id,
                ip_address=ip_address,
                reason="locked" if verdict == LOCKED else "wrong_password",
            )
            raise AccountLockedError() if verdict == LOCKED else WrongCurrentPasswordError()
        check_password_policy(new_password)
        _set_password(account, new_password, now)
        _void_tokens(account.id, TokenPurpose.PASSWORD_RESET, now)
        record("password_changed", account_id=account.id, ip_address=ip_address, via="profile")
    return account


def check_password_policy(password: str) -> None:
    broken = unmet_rules(password)
    if broken:
        raise PasswordPolicyError(broken)


def _set_password(account: Account, password: str, now: datetime) -> None:
    account.password_hash = _state().passwords.hash(password)
    # The session stamp derives from this: every other session of the account ends.
    account.password_changed_at = now
    account.failed_logins = 0
    account.locked_until = None


# --- Active sessions (account page) ----------------------------------------------------------


@dataclass(frozen=True)
class ActiveSession:
    """One browser signed in to the account, as the member sees it in the list."""

    id: int
    started_at: datetime
    last_seen_at: datetime
    # "Firefox · Windows", or None when the User-Agent names nothing known.
    browser: str | None
    ip_address: str | None
    current: bool


def active_sessions(
    account: Account, *, now: datetime, current_digest: str | None
) -> list[ActiveSession]:
    """The account's sessions that still sign a browser in: this browser's first, then the
    most recently used. Ended, expired, idle ones and those from before the last password
    change (they no longer sign anybody in) are left out."""
    idle = settings().session_lifetime
    changed = as_utc(account.password_changed_at)
    rows = db.session.scalars(
        select(SsoSession).where(SsoSession.account_id == account.id, SsoSession.ended_at.is_(None))
    ).all()
    live = [
        ActiveSession(
            id=row.id,
            started_at=as_utc(row.created_at),
            last_seen_at=as_utc(row.last_seen_at),
            browser=describe_user_agent(row.user_agent),
            ip_address=row.ip_address,
            current=row.digest == current_digest,
        )
        for row in rows
        if as_utc(row.expires_at) > now
        and now - as_utc(row.last_seen_at) < idle
        and (changed is None or as_utc(row.created_at) >= changed)
    ]
    return sorted(
        live, key=lambda item: (not item.current, -item.last_seen_at.timestamp(), -item.id)
    )


@operation
def end_other_sessions(
    account_id: int, *, current_digest: str, now: datetime, ip_address: str | None = None
) -> int:
    """Sign out every other browser of the account, keeping the one whose session digest is
    ``current_digest``; commits with the audit; how many sessions ended."""
    ended = end_account_sessions(
        account_id,
        now=now,
        reason="ended_by_member",
        ip_address=ip_address,
        keep_digest=current_digest,
    )
    record(
        "sessions_ended_by_member",
        account_id=account_id,
        ip_address=ip_address,
        sessions_ended=ended,
    )
    return ended
