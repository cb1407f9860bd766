"""``flask idp send-mail``: deliver the outbox once, or run as a long-lived worker."""

from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import with_appcontext

from ..cli import idp_group, summary
from .worker import MailWorker


@idp_group.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep polling the outbox until SIGTERM or SIGINT.")
@click.option(
    "--batch",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="Messages per pass (one SMTP connection each).",
)
@click.option(
    "--interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between two polls of an empty outbox (with --loop): how soon a reset or "
    "new-link request, which only the worker acts on, gets its mail.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@with_appcontext
def send_mail(loop: bool, batch: int, interval: float, as_json: bool) -> None:
    """Deliver due mail: everything due now, or (--loop) as a worker until stopped."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy, typed as what it stands for
    worker = MailWorker(app, batch=batch, interval=interval)
    if loop:
        # Finish the message in hand, commit, then exit: nothing half-sent is left behind.
        previous = {
            sig: signal.signal(sig, worker.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            totals = worker.run_forever()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    else:
        totals = worker.run_once()
    line = "sent {sent}, retry {retry}, failed {failed}".format(**totals)
    summary(totals, line, as_json)
