"""Workers as real processes: killed mid-batch, stopped by SIGTERM, two at once on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from idp_extension.clock import FrozenClock
from idp_extension.db import db
from idp_extension.mail import outbox
from idp_extension.models import OutboxMessage, OutboxStatus

from .conftest import SlowHandler, message_ids

ROOT = Path(__file__).resolve().parents[2]
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "idp", "send-mail"]
RUN_LATER = [sys.executable, str(Path(__file__).with_name("run_worker.py"))]


@pytest.fixture
def clock():
    # Worker processes read the system clock: the mail must be due for them too.
    return FrozenClock(datetime.now(UTC) - timedelta(minutes=1))


def worker_env(app, smtp_port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("IDP_")}
    config = app.config
    env.update(
        {
            "IDP_DATABASE_URL": config["IDP_DATABASE_URL"],
            "IDP_SECRET_KEY": config["IDP_SECRET_KEY"],
            "IDP_RATELIMIT_STORAGE_URL": "memory://",
            "IDP_ISSUER": config["IDP_ISSUER"],
            "IDP_MAIL_SERVER": "127.0.0.1",
            "IDP_MAIL_PORT": str(smtp_port),
            "IDP_MAIL_SENDER": config["IDP_MAIL_SENDER"],
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def enqueue_many(app, count: int) -> list[str]:
    """``count`` committed messages; their Message-IDs."""
    with app.app_context():
        written = [
            outbox.enqueue(
                "notice",
                f"adherent{n}@example.org",
                f"Avis {n}",
                f"Bonjour, voici le lien http://localhost/l/{n}",
                None,
            )
            for n in range(count)
        ]
        db.session.commit()
        return [message.message_id for message in written]


def statuses(app) -> Counter:
    with app.app_context():
        found = Counter(db.session.scalars(select(OutboxMessage.status)).all())
        db.session.rollback()
        return found


def wait_for(condition, timeout: float = 20.0) -> None:
    """Poll a process's visible progress (not a clock expiry) until ``condition()``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the worker made no progress in time")
        time.sleep(0.02)


def test_worker_killed_mid_batch_loses_nothing_and_resends_at_most_its_one_message(app, own_smtp):
    expected = enqueue_many(app, 40)
    server = own_smtp(SlowHandler(delay=0.05))
    env = worker_env(app, server.port)

    worker = subprocess.Popen(
        [*FLASK, "--loop", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: len(server.messages) >= 10)
    finally:
        worker.kill()
        worker.communicate(timeout=10)
    assert worker.returncode == -signal.SIGKILL
    received_before_restart = len(server.messages)
    assert received_before_restart < 40, "the batch ended before the kill"
    left = statuses(app)
    assert left[OutboxStatus.SENDING] <= 1  # the message in hand when it died
    with app.app_context():
        in_flight = db.session.scalars(
            select(OutboxMessage.message_id).where(OutboxMessage.status == OutboxStatus.SENDING)
        ).all()
        db.session.rollback()

    # Restarted past the dead worker's lease (default 300 s), it finishes the job.
    restarted = subprocess.run(
        [*RUN_LATER, "301", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert restarted.returncode == 0, restarted.stderr
    assert statuses(app) == Counter({OutboxStatus.SENT: 40})

    counts = Counter(message_ids(server))
    assert set(counts) == set(expected)
    duplicates = [message_id for message_id, seen in counts.items() if seen > 1]
    assert len(duplicates) <= 1
    # A duplicate can only be the message the killed worker was sending.
    assert set(duplicates) <= set(in_flight)
    assert max(counts.values()) <= 2


def test_sigterm_finishes_the_message_in_hand_then_exits_cleanly(app, own_smtp):
    enqueue_many(app, 30)
    server = own_smtp(SlowHandler(delay=0.05))
    worker = subprocess.Popen(
        [*FLASK, "--loop", "--interval", "0.1"],
        cwd=ROOT,
        env=worker_env(app, server.port),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: len(server.messages) >= 5)
        worker.send_signal(signal.SIGTERM)
        output, errors = worker.communicate(timeout=15)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate(timeout=10)
    assert worker.returncode == 0, errors

    left = statuses(app)
    assert left[OutboxStatus.SENDING] == 0
    sent = left[OutboxStatus.SENT]
    assert 5 <= sent < 30
    assert left[OutboxStatus.PENDING] == 30 - sent
    # Every message it took went out exactly once, and the summary says so.
    assert len(server.messages) == sent == len(set(message_ids(server)))
    assert output.strip() == f"sent {sent}, retry 0, failed 0"


@pytest.mark.postgresql
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_workers_on_postgresql_send_each_of_500_messages_exactly_once(app, own_smtp):
    expected = enqueue_many(app, 500)
    # A relay a little slow keeps the first worker busy until the second one is up.
    smtp = own_smtp(SlowHandler(delay=0.002))
    env = worker_env(app, smtp.port)
    workers = [
        subprocess.Popen(
            [*FLASK, "--json", "--batch", "50"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for worker in workers:
        output, errors = worker.communicate(timeout=120)
        assert worker.returncode == 0, errors
        results.append(json.loads(output))

    assert sum(result["sent"] for result in results) == 500
    assert all(result["retry"] == result["failed"] == 0 for result in results)
    received = Counter(message_ids(smtp))
    assert set(received) == set(expected)
    assert max(received.values()) == 1
    assert statuses(app) == Counter({OutboxStatus.SENT: 500})
    # Both really worked side by side (SKIP LOCKED let each take its own rows).
    assert all(result["sent"] > 0 for result in results), results
