"""Benchmark of the mail outbox (not a test): how fast does one worker empty it?

    .venv/bin/python scripts/bench_mail.py [--count 1000] [--postgres URL | --no-postgres]

Enqueues COUNT messages in a temporary SQLite file (and a throw-away PostgreSQL schema when
the server answers), starts a local SMTP sink (aiosmtpd, in its own process), runs one worker
pass over everything due and prints mails per second. Bounded: COUNT is capped and every run
has a time limit.
"""

from __future__ import annotations

import argparse
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_support import free_port, postgres_schema  # noqa: E402

from idp_extension import create_app  # noqa: E402
from idp_extension.db import db  # noqa: E402
from idp_extension.mail import outbox  # noqa: E402
from idp_extension.mail.worker import MailWorker  # noqa: E402

MAX_COUNT = 100_000
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def start_smtp_sink(port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "aiosmtpd",
        "-n",
        "-l",
        f"127.0.0.1:{port}",
        "-c",
        "aiosmtpd.handlers.Sink",
    ]
    sink = subprocess.Popen(command)  # noqa: S603 - a fixed command, no shell
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return sink
        except OSError:
            time.sleep(0.05)
    sink.kill()
    raise SystemExit("the SMTP sink did not start")


def run(label: str, database_url: str, smtp_port: int, count: int, batch: int) -> None:
    app = create_app(
        {
            "IDP_DATABASE_URL": database_url,
            "IDP_SECRET_KEY": secrets.token_hex(32),
            "IDP_ISSUER": "http://127.0.0.1:5000",
            "IDP_MAIL_SERVER": "127.0.0.1",
            "IDP_MAIL_PORT": smtp_port,
            "IDP_MAIL_TIMEOUT": 10,
            "IDP_RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        for number in range(count):
            outbox.enqueue(
                "bench",
                f"adherent{number}@example.org",
                f"Message {number}",
                f"Bonjour,\n\nhttp://127.0.0.1:5000/activation/{secrets.token_urlsafe(32)}\n",
                f"<p><a href='http://127.0.0.1:5000/a/{number}'>Activer</a></p>",
            )
        db.session.commit()
        enqueue_seconds = time.perf_counter() - started
        db.session.remove()

    worker = MailWorker(app, batch=batch)
    started = time.perf_counter()
    totals = worker.run_once()
    seconds = time.perf_counter() - started
    with app.app_context():
        left = outbox.counts_by_status()
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    print(
        f"{label}: enqueued {count} in {enqueue_seconds:.2f} s "
        f"({count / enqueue_seconds:.0f}/s); worker sent {totals['sent']} "
        f"(retry {totals['retry']}, failed {totals['failed']}) in {seconds:.2f} s "
        f"= {totals['sent'] / seconds:.0f} mails/s; outbox now {left}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100, help="messages per worker pass")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL URL to try")
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()
    count = max(1, min(options.count, MAX_COUNT))

    port = free_port()
    sink = start_smtp_sink(port)
    try:
        with tempfile.TemporaryDirectory() as folder:
            run("sqlite", f"sqlite:///{folder}/bench.sqlite3", port, count, options.batch)
        if not options.no_postgres:
            schema = postgres_schema(options.postgres)
            if schema is not None:
                url, _version, drop = schema
                try:
                    run("postgresql", url, port, count, options.batch)
                finally:
                    drop()
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
