"""Codes sent by SMS (phone verification and the second step of a sign-in).

Rules (DESIGN section 10): 6 digits, valid 10 minutes, single use, 5 tries then a new code is
needed, a new code voids the previous one of the same purpose, only a keyed digest stored and
compared in constant time, sends rate-limited per account and per client address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from ..clock import as_utc
from ..db import db, rowcount
from ..errors import IdpError
from ..models import Account, PhoneCode, PhoneCodePurpose
from ..security import codes
from ..security.audit import record
from ..security.ratelimit import hit
from ..settings import settings
from ..sms import messages

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5


class PhoneCodeError(IdpError):
    """The code typed cannot be accepted; ``reason``: wrong, expired, exhausted or missing."""

    code, status = "phone_code_refused", 422

    def __init__(self, reason: str, tries_left: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.tries_left = tries_left


def _scope(account_id: int, purpose: PhoneCodePurpose) -> str:
    return f"phone-code:{account_id}:{purpose.value}"


def issue(
    account: Account, purpose: PhoneCodePurpose, *, now: datetime, ip_address: str | None
) -> int:
    """Write a new code and its SMS in the caller's transaction (flushed); the outbox id.

    Raises ``TooManyAttemptsError`` when the account or the address asked too often.
    """
    hit("sms-account", str(account.id), settings().sms_limit_per_account)
    if ip_address:
        hit("sms-ip", ip_address, settings().sms_limit_per_ip)
    db.session.execute(
        update(PhoneCode)
        .where(
            PhoneCode.account_id == account.id,
            PhoneCode.purpose == purpose,
            PhoneCode.used_at.is_(None),
            PhoneCode.voided_at.is_(None),
        )
        .values(voided_at=now)
    )
    code = codes.new_numeric_code()
    db.session.add(
        PhoneCode(
            account_id=account.id,
            purpose=purpose,
            phone=account.phone,
            digest=codes.digest(
                current_app.config["SECRET_KEY"], _scope(account.id, purpose), code
            ),
            created_at=now,
            expires_at=now + CODE_TTL,
            attempts=0,
        )
    )
    message = messages.phone_code(account, code, valid_minutes=int(CODE_TTL.total_seconds() // 60))
    record("phone_code_sent", account_id=account.id, ip_address=ip_address, purpose=purpose.value)
    db.session.flush()
    return message.id


def consume(
    account: Account,
    purpose: PhoneCodePurpose,
    typed: str,
    *,
    now: datetime,
    ip_address: str | None,
) -> PhoneCode:
    """Spend the live code if ``typed`` is it; else raise ``PhoneCodeError`` (audited, flushed).

    Each try is counted *before* the comparison, in one conditional UPDATE: parallel guesses
    cannot get more than ``MAX_TRIES`` comparisons out of one code.
    """
    row = db.session.scalar(
        select(PhoneCode)
        .where(
            PhoneCode.account_id == account.id,
            PhoneCode.purpose == purpose,
            PhoneCode.used_at.is_(None),
            PhoneCode.voided_at.is_(None),
        )
        .order_by(PhoneCode.id.desc())
        .limit(1)
    )
    if row is None:
        raise _refused(account, purpose, "missing", ip_address)
    if as_utc(row.expires_at) <= now:
        raise _refused(account, purpose, "expired", ip_address)
    counted = rowcount(
        db.session.execute(
            update(PhoneCode)
            .where(
                PhoneCode.id == row.id, PhoneCode.attempts < MAX_TRIES, PhoneCode.used_at.is_(None)
            )
            .values(attempts=PhoneCode.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    )
    if counted != 1:
        raise _refused(account, purpose, "exhausted", ip_address)
    db.session.refresh(row)
    scope = _scope(account.id, purpose)
    if not codes.matches(current_app.config["SECRET_KEY"], scope, typed, row.digest):
        tries_left = MAX_TRIES - row.attempts
        raise _refused(
            account, purpose, "wrong" if tries_left else "exhausted", ip_address, tries_left
        )
    spent = rowcount(
        db.session.execute(
            update(PhoneCode)
            .where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    if spent != 1:
        raise _refused(account, purpose, "missing", ip_address)
    record(
        "phone_code_accepted", account_id=account.id, ip_address=ip_address, purpose=purpose.value
    )
    db.session.flush()
    return row


def _refused(
    account: Account,
    purpose: PhoneCodePurpose,
    reason: str,
    ip_address: str | None,
    tries_left: int = 0,
) -> PhoneCodeError:
    record(
        "phone_code_refused",
        account_id=account.id,
        ip_address=ip_address,
        purpose=purpose.value,
        reason=reason,
    )
    db.session.flush()
    return PhoneCodeError(reason, tries_left)


def live_code_exists(account: Account, purpose: PhoneCodePurpose, now: datetime) -> bool:
    """Whether a code of this purpose can still be typed (unexpired, unused, tries left)."""
    found = db.session.scalar(
        select(PhoneCode.id).where(
            PhoneCode.account_id == account.id,
            PhoneCode.purpose == purpose,
            PhoneCode.used_at.is_(None),
            PhoneCode.voided_at.is_(None),
            PhoneCode.expires_at > now,
            PhoneCode.attempts < MAX_TRIES,
        )
    )
    return found is not None
