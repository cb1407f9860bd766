"""A mail-server outage with the worker running: no message is charged for it, and the
backlog leaves within seconds of the server's return, each message once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select

from idp_extension.db import db
from idp_extension.mail.worker import MailWorker
from idp_extension.models import OutboxMessage, OutboxStatus

from ..smtp import free_port
from .test_outbox import write_notice

BACKLOG = 20


@pytest.fixture
def app_config(app_config):
    # The worker probes at most every second while the server is down (10 s by default).
    return {**app_config, "IDP_MAIL_PROBE_MAX_SECONDS": 1, "IDP_MAIL_TIMEOUT": 5}


def wait_until(condition, seconds: float, what: str) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, what
        time.sleep(0.05)
    return time.monotonic() - start


def test_backlog_of_an_outage_leaves_within_seconds_of_the_servers_return(
    app, clock, own_smtp, notice_template
):
    port = free_port()
    app.extensions["mail"].port = port
    server = own_smtp(port=port)
    worker = MailWorker(app, batch=100, interval=0.1)
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    try:
        with app.app_context():
            write_notice(BACKLOG + 1)
        wait_until(lambda: len(server.messages) == 1, 10, "the worker never sent")

        server.stop()  # the outage begins, the worker still running
        with app.app_context():
            for number in range(1, BACKLOG + 1):
                write_notice(number)
        # 100 s of outage on the app's clock, while the worker keeps finding the server down.
        for _ in range(10):
            probes = worker.totals["retry"]
            clock.advance(seconds=10)
            wait_until(
                lambda seen=probes: worker.totals["retry"] > seen, 10, "the worker stopped probing"
            )

        back = own_smtp(port=port)  # the same server returns on the same port
        delay = wait_until(
            lambda: len(back.messages) >= BACKLOG, 20, "the backlog did not leave within 20 s"
        )
    finally:
        worker.request_stop()
        thread.join(timeout=10)
    assert not thread.is_alive()

    assert delay < 20
    received = back.messages
    assert len(received) == BACKLOG
    assert max(Counter(m["Message-ID"] for m in received).values()) == 1
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert {row.status for row in rows} == {OutboxStatus.SENT}
        # The outage was not the messages' fault: each was charged only its successful attempt.
        assert {row.attempts for row in rows} == {1}
