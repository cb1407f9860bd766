"""The outbox worker: delivers due mail in passes, polls, and stops cleanly when asked."""

from __future__ import annotations

import threading

from flask import Flask

from ..db import db
from ..security.log_redaction import logger_for
from . import outbox

log = logger_for(__name__)


class MailWorker:
    """Delivers the outbox of ``app``; ``request_stop`` (a signal handler) ends it between
    two messages, so the message being sent is finished and committed first.

    >>> worker = MailWorker(app, batch=100, interval=5)
    >>> signal.signal(signal.SIGTERM, worker.request_stop)
    >>> totals = worker.run_forever()
    """

    def __init__(self, app: Flask, *, batch: int = 100, interval: float = 5.0):
        if batch < 1 or interval <= 0:
            raise ValueError("batch must be at least 1 and interval positive")
        self.app = app
        self.batch = batch
        self.interval = interval
        self._stop = threading.Event()
        self.totals = dict.fromkeys(outbox.OUTCOMES, 0)

    def request_stop(self, *_signal_args) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _pass(self) -> dict[str, int]:
        with self.app.app_context():
            counts = outbox.deliver_due(limit=self.batch, should_stop=self._stop.is_set)
            db.session.remove()
        for outcome, number in counts.items():
            self.totals[outcome] += number
        return counts

    def run_once(self) -> dict[str, int]:
        """Deliver everything due now, in passes of ``batch``; return the totals."""
        while not self.stopping:
            counts = self._pass()
            # A short pass means nothing is left, or the server is down: both end the run.
            if sum(counts.values()) < self.batch:
                break
        return dict(self.totals)

    def run_forever(self) -> dict[str, int]:
        """Poll every ``interval`` seconds until stopped; a database hiccup is waited out."""
        log.info("mail worker started (batch %s, interval %ss)", self.batch, self.interval)
        while not self.stopping:
            try:
                counts = self._pass()
            except Exception:  # noqa: BLE001 - a worker outlives a database restart
                log.exception("mail worker pass failed; trying again in %ss", self.interval)
                counts = None
            if counts and sum(counts.values()) >= self.batch:
                continue  # more is waiting
            self._stop.wait(self.interval)
        log.info("mail worker stopped: %s", self.totals)
        return dict(self.totals)
