"""One transaction owner: an operation and everything it calls land together or not at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from idp_extension.db import db
from idp_extension.models import AuditEvent
from idp_extension.transaction import after_commit, in_transaction, operation
from tests.conftest import both_databases


class SeenError(Exception):
    pass


def _events() -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(db.select(AuditEvent.event)))


@operation
def _record(event: str) -> None:
    db.session.add(AuditEvent(event=event))


@operation
def _record_two_then_fail() -> None:
    _record("first")
    _record("second")
    raise SeenError


@operation(keep_on=(SeenError,))
def _record_then_fail_kept() -> None:
    _record("kept")
    raise SeenError


@both_databases
def test_outermost_operation_commits_what_inner_ones_did(app):
    @operation
    def both() -> None:
        _record("a")
        assert in_transaction()
        _record("b")

    with app.app_context():
        both()
        assert not in_transaction()
        assert _events() == ["a", "b"]


@both_databases
def test_a_failing_operation_leaves_nothing_of_its_inner_operations(app):
    with app.app_context():
        with pytest.raises(SeenError):
            _record_two_then_fail()
        assert _events() == []


@both_databases
def test_kept_failures_commit_the_work_done_before_them(app):
    with app.app_context():
        with pytest.raises(SeenError):
            _record_then_fail_kept()
        assert _events() == ["kept"]


def test_an_inner_kept_failure_does_not_commit_the_outer_operation(app):
    @operation
    def outer() -> None:
        _record("outer")
        _record_then_fail_kept()

    with app.app_context():
        with pytest.raises(SeenError):
            outer()
        assert _events() == []


def test_after_commit_waits_for_the_outermost_commit_and_is_dropped_on_rollback(app):
    ran: list[str] = []

    @operation
    def inner(name: str) -> None:
        _record(name)
        after_commit(lambda: ran.append(name))
        assert name not in ran

    @operation
    def outer_failing() -> None:
        inner("rolled back")
        raise SeenError

    with app.app_context():
        inner("kept")
        assert ran == ["kept"]
        with pytest.raises(SeenError):
            outer_failing()
        assert ran == ["kept"]
        assert _events() == ["kept"]


@both_databases
def test_a_refused_commit_rolls_back_and_leaves_the_session_usable(app):
    @operation
    def add_event(event: str) -> None:
        # Met at the commit's own flush, as a parallel sign-up's duplicate would be.
        db.session.add(AuditEvent(id=999_999, event=event))

    with app.app_context():
        add_event("first")
        db.session.expunge_all()
        with pytest.raises(IntegrityError):
            add_event("second")
        assert not in_transaction()
        _record("after")
        assert _events() == ["after", "first"]


# Modules that may still call ``commit()`` themselves, each for a reason:
ALLOWED_COMMITS = {
    # The one transaction owner.
    "transaction.py",
    # Converted by their owner (helper "perf") in its own change; remove once landed.
    "oidc/grants.py",
    "oidc/endpoints.py",
}


def test_only_the_transaction_owner_commits():
    """Services flush; ``@operation`` / ``transaction()`` commit. A ``commit()`` anywhere else
    would land an action without its audit row, or half of an action."""
    package = Path(__file__).resolve().parents[1] / "idp_extension"
    committing = sorted(
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if re.search(r"\.commit\(\)", path.read_text(encoding="utf-8"))
    )
    assert sorted(set(committing) - ALLOWED_COMMITS) == []


def test_work_that_must_commit_on_its_own_refuses_to_run_inside_an_operation(app):
    """The mail sender's claim (its lease) and the lockout count must be committed before the
    slow part (SMTP, argon2): joined to an operation they would not be."""
    from idp_extension.account.service import counted_check
    from idp_extension.mail.outbox import deliver_due

    @operation
    def inside() -> None:
        with pytest.raises(RuntimeError):
            deliver_due()
        with pytest.raises(RuntimeError):
            counted_check(None, None, None, check=lambda: True)  # type: ignore[arg-type]

    with app.app_context():
        inside()
