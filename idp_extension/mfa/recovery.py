"""Recovery codes: ten, shown once at set-up, each accepted once (keyed digests only kept)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..db import db, rowcount
from ..models import Account, RecoveryCode
from ..security import codes

COUNT = 10


def _scope(account_id: int) -> str:
    return f"recovery:{account_id}"


def replace_codes(account: Account, now: datetime) -> list[str]:
    """New codes for the account (the old ones stop working); the codes to show, once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    key = current_app.config["SECRET_KEY"]
    shown = [codes.new_recovery_code() for _ in range(COUNT)]
    db.session.add_all(
        RecoveryCode(
            account_id=account.id,
            digest=codes.digest(key, _scope(account.id), code),
            created_at=now,
        )
        for code in shown
    )
    db.session.flush()
    return shown


def spend(account: Account, typed: str, now: datetime) -> bool:
    """Whether ``typed`` is one of the account's unused codes; if so it is used up."""
    normalised = codes.normalise(typed)
    if len(normalised) != codes.RECOVERY_LENGTH:
        return False
    wanted = codes.digest(current_app.config["SECRET_KEY"], _scope(account.id), normalised)
    # The lookup is by digest: nothing about the code leaks through a comparison's timing.
    spent = rowcount(
        db.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.account_id == account.id,
                RecoveryCode.digest == wanted,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    return spent == 1


def remaining(account_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def remove_all(account_id: int) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
