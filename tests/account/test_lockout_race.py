"""Lockout under parallel guessing: the count and the lock are one atomic step, so a burst of
wrong passwords checks at most IDP_LOCKOUT_THRESHOLD of them, and the right one is refused
afterwards, on PostgreSQL as on SQLite."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from idp_extension.account import service
from idp_extension.db import db
from idp_extension.models import AuditEvent

from ..conftest import both_databases
from .helpers import PASSWORD, make_account

ATTEMPTS = 16
THRESHOLD = 5


@pytest.fixture
def app_config(app_config):
    # Real argon2 cost: a password check takes long enough for parallel attempts to overlap.
    return {
        **app_config,
        "IDP_LOCKOUT_THRESHOLD": THRESHOLD,
        "IDP_ARGON2_TIME_COST": 2,
        "IDP_ARGON2_MEMORY_COST": 19 * 1024,
    }


def parallel_logins(app, clock, password: str, count: int) -> Counter:
    """``count`` logins at once, each in its own thread and connection; reasons refused."""
    barrier = threading.Barrier(count)
    reasons: Counter = Counter()
    lock = threading.Lock()

    def attempt():
        with app.app_context():
            barrier.wait()
            try:
                service.authenticate("helene@example.org", password, now=clock.now())
                reason = "signed_in"
            except service.LoginFailedError as error:
                reason = str(error)
            finally:
                db.session.remove()
        with lock:
            reasons[reason] += 1

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return reasons


@both_databases
def test_parallel_wrong_passwords_check_at_most_the_threshold_then_lock(app, clock):
    make_account(app, clock)
    reasons = parallel_logins(app, clock, "Wrong#Guess1", ATTEMPTS)
    assert sum(reasons.values()) == ATTEMPTS
    # Exactly THRESHOLD passwords were checked; every other attempt met the lock unchecked.
    assert reasons == {"wrong_password": THRESHOLD, "locked": ATTEMPTS - THRESHOLD}

    # The right password a moment later does not get in.
    clock.advance(seconds=1)
    with app.app_context(), pytest.raises(service.LoginFailedError, match="locked"):
        service.authenticate("helene@example.org", PASSWORD, now=clock.now())
    with app.app_context():
        locks = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "account_locked")
        ).all()
        assert len(locks) == 1

    # Once the lock ends, the right password gets in and the count starts afresh.
    clock.advance(seconds=app.config["IDP_LOCKOUT_SECONDS"])
    with app.app_context():
        account = service.authenticate("helene@example.org", PASSWORD, now=clock.now())
        assert account.failed_logins == 0 and account.locked_until is None


@both_databases
def test_parallel_right_passwords_all_get_in(app, clock):
    make_account(app, clock)
    # Fewer than the threshold at once: each is checked, none is charged once it succeeds.
    reasons = parallel_logins(app, clock, PASSWORD, THRESHOLD - 1)
    assert reasons == {"signed_in": THRESHOLD - 1}
    with app.app_context():
        account = service.authenticate("helene@example.org", PASSWORD, now=clock.now())
        assert account.failed_logins == 0
