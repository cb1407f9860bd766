"""One transaction owner: an operation and everything it calls land together or not at all."""

from __future__ import annotations

import pytest

from idp_extension.db import db
from idp_extension.models import AuditEvent
from idp_extension.transaction import in_transaction, operation
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
