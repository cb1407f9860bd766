"""The worker in-process: it outlives a database outage and stops when asked."""

from __future__ import annotations

import threading
import time

from idp_extension.db import db
from idp_extension.mail import outbox
from idp_extension.mail.worker import MailWorker
from idp_extension.models import OutboxMessage


def test_worker_waits_out_a_missing_database_then_delivers(app, smtp, caplog):
    with app.app_context():
        OutboxMessage.__table__.drop(db.engine)  # as if the database were not there yet

    worker = MailWorker(app, batch=10, interval=0.05)
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while "mail worker pass failed" not in caplog.text:
            assert time.monotonic() < deadline, "the worker never tried"
            time.sleep(0.01)
        assert thread.is_alive()

        with app.app_context():
            OutboxMessage.__table__.create(db.engine)
            outbox.enqueue("notice", "adherent@example.org", "Avis", "Bonjour", None)
            db.session.commit()
        while not smtp.messages:
            assert time.monotonic() < deadline, "the worker never recovered"
            time.sleep(0.01)
    finally:
        worker.request_stop()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert worker.totals["sent"] == 1
