"""Second-factor operations: phone verification, SMS and app factors, recovery codes, reset.

Each function here is an operation (``transaction.py``): it writes its change with its audit
events (and the SMS it causes, through the outbox), committed once; refused codes are kept
(the spent try and its audit). Views call them and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from ..account.service import LOCKED, WRONG, counted_check, is_locked
from ..db import db, rowcount
from ..errors import IdpError
from ..models import (
    Account,
    PhoneCodePurpose,
    SecondFactorMethod,
    TotpAuthenticator,
)
from ..security.audit import record
from ..settings import settings
from ..sms.messages import organisation_name
from ..transaction import operation, transaction
from . import phone_codes, recovery, totp
from .phone_codes import PhoneCodeError

__all__ = ["PhoneCodeError"]


class SecondFactorError(IdpError):
    """A second-factor code was refused; ``reason`` says why (wrong, locked, expired...)."""

    code, status = "second_factor_refused", 422

    def __init__(self, reason: str, tries_left: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.tries_left = tries_left


class NotAvailableError(IdpError):
    """The action does not apply to this account now (no phone verified, app already set up)."""

    code, status = "second_factor_not_available", 409


# --- Phone verification ----------------------------------------------------------------------


@operation
def send_phone_code(
    account: Account, purpose: PhoneCodePurpose, *, now: datetime, ip_address: str | None
) -> int:
    """Send a new code to the account's mobile; the outbox id of the SMS (committed)."""
    return phone_codes.issue(account, purpose, now=now, ip_address=ip_address)


def login_code_needed(account: Account, now: datetime) -> bool:
    """Signing in sends a code, unless one can still be typed or the account is locked."""
    return not is_locked(account, now) and not phone_codes.live_code_exists(
        account, PhoneCodePurpose.LOGIN, now
    )


# A wrong code is kept: the spent try and its audit.
@operation(keep_on=(PhoneCodeError,))
def verify_phone(account: Account, typed: str, *, now: datetime, ip_address: str | None) -> None:
    """Mark the mobile verified when ``typed`` is the code sent to it; else ``PhoneCodeError``."""
    row = phone_codes.consume(
        account, PhoneCodePurpose.VERIFY_PHONE, typed, now=now, ip_address=ip_address
    )
    if row.phone == account.phone:
        account.phone_verified = True
        record("phone_verified", account_id=account.id, ip_address=ip_address)


# --- Second factor at sign-in ----------------------------------------------------------------


def check_second_factor(
    account: Account, method: str, typed: str, *, now: datetime, ip_address: str | None
) -> str:
    """Accept one second factor (``sms``, ``otp`` or ``recovery``); the RFC 8176 method.

    App and recovery codes are checked under the account's lockout, like passwords (counted
    before the check, see ``counted_check``): with the password known, they are all that stands
    between a thief and the account. SMS codes are bounded by each code's own tries.

    Not one operation for app and recovery codes: their try is counted and committed before
    the check; the outcome then lands with its audit, a refusal kept (``SecondFactorError``).
    """
    verdict = None
    if method in ("otp", "recovery"):
        check = _app_code_check if method == "otp" else _recovery_code_check
        verdict = counted_check(account, now, ip_address, check=lambda: check(account, typed, now))
    elif method != "sms":
        raise ValueError(method)
    with transaction(keep_on=(SecondFactorError,)):
        if method == "sms":
            amr = _check_sms_code(account, typed, now=now, ip_address=ip_address)
        else:
            if verdict == LOCKED:
                _refuse(account, method, "locked", ip_address)
            if verdict == WRONG:
                _refuse(account, method, "wrong", ip_address)
            amr = "otp"  # RFC 8176: a one-time password, from the app or the printed list
            if method == "recovery":
                record(
                    "recovery_code_used",
                    account_id=account.id,
                    ip_address=ip_address,
                    remaining=recovery.remaining(account.id),
                )
        record(
            "second_factor_succeeded", account_id=account.id, ip_address=ip_address, method=method
        )
    return amr


def _check_sms_code(account: Account, typed: str, *, now: datetime, ip_address: str | None):
    if is_locked(account, now):
        _refuse(account, "sms", "locked", ip_address)
    try:
        phone_codes.consume(account, PhoneCodePurpose.LOGIN, typed, now=now, ip_address=ip_address)
    except PhoneCodeError as error:
        # Kept by the caller's operation: the spent try and its audit.
        raise SecondFactorError(error.reason, error.tries_left) from None
    if not account.phone_verified:
        # The code reached this number: it is the member's.
        account.phone_verified = True
        record("phone_verified", account_id=account.id, ip_address=ip_address, via="login")
    return "sms"


def _app_code_check(account: Account, typed: str, now: datetime) -> bool:
    authenticator = confirmed_authenticator(account.id)
    if authenticator is None:
        return False
    step = totp.matching_step(
        totp.secret_of(authenticator), typed, now, authenticator.last_used_step
    )
    # Claimed in one UPDATE: the same code sent twice at once signs in once.
    if step is None:
        return False
    return rowcount(db.session.execute(totp.claim_step(authenticator, step))) == 1


def _recovery_code_check(account: Account, typed: str, now: datetime) -> bool:
    return recovery.spend(account, typed, now)


def _refuse(account: Account, method: str, reason: str, ip_address: str | None):
    record(
        "second_factor_failed",
        account_id=account.id,
        ip_address=ip_address,
        method=method,
        reason=reason,
    )
    raise SecondFactorError(reason)


# --- Setting factors up (account page) -------------------------------------------------------


def confirmed_authenticator(account_id: int) -> TotpAuthenticator | None:
    return db.session.scalar(
        select(TotpAuthenticator).where(
            TotpAuthenticator.account_id == account_id,
            TotpAuthenticator.confirmed_at.is_not(None),
        )
    )


def pending_authenticator(account_id: int) -> TotpAuthenticator | None:
    return db.session.scalar(
        select(TotpAuthenticator).where(
            TotpAuthenticator.account_id == account_id,
            TotpAuthenticator.confirmed_at.is_(None),
        )
    )


@dataclass(frozen=True)
class AppSetup:
    """What the set-up page shows: the key as text and the URI its QR code carries."""

    key: str
    uri: str


@operation
def start_app_setup(account: Account, *, now: datetime, ip_address: str | None) -> AppSetup:
    """A new key for an authenticator app, waiting for its first code (replaces a waiting one)."""
    if confirmed_authenticator(account.id) is not None:
        raise NotAvailableError("an app is already set up")
    db.session.execute(delete(TotpAuthenticator).where(TotpAuthenticator.account_id == account.id))
    secret = totp.new_secret()
    db.session.add(
        TotpAuthenticator(account_id=account.id, secret_sealed=totp.sealed(secret), created_at=now)
    )
    record("totp_setup_started", account_id=account.id, ip_address=ip_address)
    return _app_setup(account, secret)


def app_setup(account: Account) -> AppSetup | None:
    """The waiting set-up's key and URI, or None."""
    pending = pending_authenticator(account.id)
    if pending is None:
        return None
    return _app_setup(account, totp.secret_of(pending))


def _app_setup(account: Account, secret: str) -> AppSetup:
    return AppSetup(
        key=totp.grouped(secret),
        uri=totp.provisioning_uri(account, secret, str(organisation_name())),
    )


# A wrong first code is kept in the audit.
@operation(keep_on=(SecondFactorError,))
def confirm_app_setup(
    account: Account, typed: str, *, now: datetime, ip_address: str | None
) -> list[str]:
    """Confirm the app with one of its codes; it becomes the login factor. The ten new
    recovery codes, to show once."""
    pending = pending_authenticator(account.id)
    if pending is None:
        raise NotAvailableError("no set-up waiting")
    step = totp.matching_step(totp.secret_of(pending), typed, now, None)
    if step is None:
        record("totp_setup_failed", account_id=account.id, ip_address=ip_address)
        raise SecondFactorError("wrong")
    pending.confirmed_at = now
    pending.last_used_step = step
    account.second_factor = SecondFactorMethod.TOTP.value
    shown = recovery.replace_codes(account, now)
    record("totp_enabled", account_id=account.id, ip_address=ip_address)
    record("recovery_codes_issued", account_id=account.id, ip_address=ip_address)
    return shown


@operation
def enable_sms(account: Account, *, now: datetime, ip_address: str | None) -> list[str]:
    """Make SMS codes the login factor (the mobile must be verified); new recovery codes."""
    if not account.phone_verified:
        raise NotAvailableError("the mobile number is not verified")
    if account.second_factor is not None:
        raise NotAvailableError("a second factor is already set up")
    account.second_factor = SecondFactorMethod.SMS.value
    shown = recovery.replace_codes(account, now)
    record("sms_factor_enabled", account_id=account.id, ip_address=ip_address)
    record("recovery_codes_issued", account_id=account.id, ip_address=ip_address)
    return shown


@operation
def new_recovery_codes(account: Account, *, now: datetime, ip_address: str | None) -> list[str]:
    if account.second_factor is None:
        raise NotAvailableError("no second factor set up")
    shown = recovery.replace_codes(account, now)
    record("recovery_codes_issued", account_id=account.id, ip_address=ip_address)
    return shown


@operation
def remove_second_factor(
    account: Account, *, ip_address: str | None, actor_id: int | None = None
) -> None:
    """Forget the app, the recovery codes and the choice; the next sign-in is password only
    (or SMS where the policy requires a factor). ``actor_id``: the admin who did it."""
    db.session.execute(delete(TotpAuthenticator).where(TotpAuthenticator.account_id == account.id))
    recovery.remove_all(account.id)
    db.session.execute(update(Account).where(Account.id == account.id).values(second_factor=None))
    if actor_id is None:
        record("second_factor_removed", account_id=account.id, ip_address=ip_address)
    else:
        record(
            "second_factor_reset",
            account_id=account.id,
            ip_address=ip_address,
            admin_id=actor_id,
        )
    db.session.refresh(account)


def policy() -> str:
    return settings().mfa


def find_account(account_id) -> Account | None:
    return db.session.get(Account, account_id) if isinstance(account_id, int) else None


def masked_phone(phone: str) -> str:
    """The number as pages show it while a code is awaited: only its last two digits."""
    return f"{phone[:3]} •• •• •• {phone[-2:]}" if len(phone) > 5 else phone


def qr_svg(uri: str) -> bytes:
    return totp.qr_svg(uri)


@operation
def postpone_phone_verification(account: Account, *, ip_address: str | None) -> None:
    record("phone_verification_postponed", account_id=account.id, ip_address=ip_address)
