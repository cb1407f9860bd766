"""The outbox worker: delivers due mail in passes, polls, and stops cleanly when asked.

When the mail server cannot be reached, the worker (not each message) backs off: it probes
again after ``interval``, doubling up to ``IDP_MAIL_PROBE_MAX_SECONDS``; the first pass that
reaches the server sends the whole backlog, since no message was charged for the outage.
"""

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

    >>> worker = MailWorker(app, batch=100, interval=1)
    >>> signal.signal(signal.SIGTERM, worker.request_stop)
    >>> totals = worker.run_forever()
    """

    def __init__(self, app: Flask, *, batch: int = 100, interval: float = 1.0):
        if batch < 1 or interval <= 0:
            raise ValueError("batch must be at least 1 and interval positive")
        self.app = app
        self.batch = batch
        self.interval = interval
        self._stop = threading.Event()
        self.totals = dict.fromkeys(outbox.OUTCOMES, 0)
        # Seconds until the next probe while the mail server is unreachable; None when it is up.
        self.probe_delay: float | None = None

    def request_stop(self, *_signal_args) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _pass(self) -> outbox.Delivery:
        from ..account import mail_requests  # the account rules sit above the mail layer

        with self.app.app_context():
            # Requests first: the mail they queue leaves in this same pass.
            mail_requests.process_due(limit=self.batch)
            counts = outbox.deliver_due(limit=self.batch, should_stop=self._stop.is_set)
            db.session.remove()
        for outcome, number in counts.items():
            self.totals[outcome] += number
        self._note_server(counts.server_unavailable)
        return counts

    def _note_server(self, unavailable: bool) -> None:
        if not unavailable:
            if self.probe_delay is not None:
                log.info("mail server reachable again")
            self.probe_delay = None
            return
        ceiling = self.app.extensions["idp"].settings.mail_probe_max_seconds.total_seconds()
        if self.probe_delay is None:
            self.probe_delay = min(self.interval, ceiling)
            log.warning("mail server unavailable; probing every %ss at most", ceiling)
        else:
            self.probe_delay = min(self.probe_delay * 2, ceiling)

    def run_once(self) -> dict[str, int]:
        """Deliver everything due now, in passes of ``batch``; return the totals."""
        while not self.stopping:
            counts = self._pass()
            # A short pass means nothing is left, or the server is down: both end the run.
            if counts.server_unavailable or sum(counts.values()) < self.batch:
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
            if self.probe_delay is not None:
                self._stop.wait(self.probe_delay)  # the server is down: back off as a whole
                continue
            if counts and sum(counts.values()) >= self.batch:
                continue  # more is waiting
            self._stop.wait(self.interval)
        log.info("mail worker stopped: %s", self.totals)
        return dict(self.totals)
