"""Test factories: an account as sign-up and activation leave it, in one place."""

from __future__ import annotations

import itertools
from datetime import date

from idp_extension.db import db
from idp_extension.models import Account, AccountStatus

PASSWORD = "Bonjour#2026"
_member_numbers = itertools.count(10000001)


def new_account(app, *, password: str | None = PASSWORD, now=None, **fields) -> Account:
    """An ``Account`` (not added): active with a hashed ``password`` unless ``status`` says
    otherwise; ``fields`` override any column (``email``, ``member_number``, ``is_admin``...)."""
    state = app.extensions["idp"]
    now = now or state.clock.now()
    status = fields.pop("status", AccountStatus.ACTIVE)
    active = status != AccountStatus.PENDING
    values = dict(
        member_number=str(next(_member_numbers)),
        email="helene@example.org",
        phone="+33612345678",
        first_name="Hélène",
        last_name="Lefèvre-Dupont",
        birth_date=date(1980, 5, 17),
        status=status,
        email_verified=active,
        created_at=now,
        password_hash=state.passwords.hash(password) if active and password else None,
        activated_at=now if active else None,
        password_changed_at=now if active else None,
    )
    values.update(fields)
    return Account(**values)


def create_account(app, **fields) -> Account:
    """``new_account`` committed in its own application context; returned detached."""
    with app.app_context():
        account = new_account(app, **fields)
        db.session.add(account)
        db.session.commit()
        db.session.refresh(account)
        db.session.expunge(account)
        return account
