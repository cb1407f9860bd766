"""Benchmark of the admin console's list pages at scale (not a test).

    .venv/bin/python scripts/bench_admin_lists.py [--postgres URL] [--rows 100000] [--repeat 15]

Makes a throw-away PostgreSQL schema, seeds ROWS members and accounts (the ``flask idp seed``
code) and as many audit events, signs an admin in, then requests each list page REPEAT times
through the WSGI app (no network) and prints the median and worst time per page, in ms.
The console's target: under 200 ms a page with 100,000 members and accounts.
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_support import postgres_schema  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from idp_extension import create_app  # noqa: E402
from idp_extension.db import db  # noqa: E402
from idp_extension.models import Account, AuditEvent  # noqa: E402
from idp_extension.search_index import create_trigram_index  # noqa: E402
from idp_extension.seeding import seed  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "Console#2026"  # noqa: S105 - the made-up accounts' password
EVENTS = ("login_succeeded", "login_failed", "session_started", "logout", "token_issued")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def prepare(app, rows: int) -> tuple[int, str]:
    """Seed the register, accounts and audit events; return the admin's id and one email."""
    now = datetime.now(UTC)
    with app.app_context():
        db.create_all()
        hashing = app.extensions["idp"].passwords
        seed(members=rows, accounts=rows, password_hash=hashing.hash(PASSWORD), now=now)
        db.session.commit()
        first, last = db.session.execute(
            select(db.func.min(Account.id), db.func.max(Account.id))
        ).one()
        for start in range(0, rows, 10_000):
            db.session.execute(
                insert(AuditEvent),
                [
                    {
                        "event": EVENTS[n % len(EVENTS)],
                        "account_id": first + (n % (last - first + 1)),
                        "created_at": now - timedelta(minutes=n),
                        "ip_address": "192.0.2.1",
                        "details": {},
                    }
                    for n in range(start, min(start + 10_000, rows))
                ],
            )
            db.session.commit()
        admin = db.session.get(Account, last)
        admin.is_admin = True
        email = db.session.get(Account, first + rows // 2).email
        db.session.commit()
        # What the migration adds on PostgreSQL (create_all makes only the models).
        trigram = create_trigram_index(db.session.connection())
        print(f"trigram index on accounts.search_text: {'yes' if trigram else 'no'}")
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        return admin.email, email


def deep_cursors(rows: int) -> dict[str, int]:
    """The ``apres`` cursors of deep pages, as the console's "Page suivante" links carry them:
    the id of the last row of the page before."""

    def nth_newest(key, n: int, *where) -> int:
        return db.session.scalar(
            select(key).where(*where).order_by(key.desc()).offset(n - 1).limit(1)
        )

    return {
        "accounts_1000": nth_newest(Account.id, 999 * 50),
        "accounts_last": nth_newest(Account.id, (rows // 50 - 1) * 50),
        "failed_100": nth_newest(AuditEvent.id, 99 * 50, AuditEvent.event == "login_failed"),
    }


def offset_versus_keyset(deep: dict[str, int], repeat: int) -> dict[str, tuple[float, float]]:
    """The same deep pages read the old way (OFFSET) and by keyset, SQL only, median ms."""

    def timed(statement) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            db.session.scalars(statement).all()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    accounts = select(Account).order_by(Account.id.desc()).limit(51)
    failed = (
        select(AuditEvent)
        .where(AuditEvent.event == "login_failed")
        .order_by(AuditEvent.id.desc())
        .limit(51)
    )
    return {
        "accounts page 1000": (
            timed(accounts.offset(999 * 50)),
            timed(accounts.where(Account.id < deep["accounts_1000"])),
        ),
        "journal login_failed page 100": (
            timed(failed.offset(99 * 50)),
            timed(failed.where(AuditEvent.id < deep["failed_100"])),
        ),
    }


def sign_in(app, email: str):
    browser = app.test_client()
    page = browser.get("/connexion").get_data(as_text=True)
    reply = browser.post(
        "/connexion",
        data={"csrf_token": CSRF.search(page).group(1), "email": email, "password": PASSWORD},
    )
    assert reply.status_code == 302, reply.status_code
    return browser


def measure(browser, url: str, repeat: int) -> tuple[float, float, int]:
    for _ in range(2):
        browser.get(url).get_data()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = browser.get(url)
        body = response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), max(times), len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    schema = postgres_schema(args.postgres)
    if schema is None:
        raise SystemExit("PostgreSQL is needed for this benchmark")
    url, version, drop = schema
    app = create_app(
        {
            "IDP_DATABASE_URL": url,
            "IDP_SECRET_KEY": secrets.token_hex(32),
            "IDP_ISSUER": "http://127.0.0.1:5000",
            "IDP_RATELIMIT_ENABLED": False,
            "IDP_RATELIMIT_STORAGE_URL": "memory://",
            "IDP_ARGON2_TIME_COST": 1,
            "IDP_ARGON2_MEMORY_COST": 1024,
            "IDP_ARGON2_PARALLELISM": 1,
            # The console asks admins for a second factor; the pages, not the sign-in, are timed.
            "IDP_MFA": "off",
        }
    )
    try:
        started = time.perf_counter()
        admin_email, member_email = prepare(app, args.rows)
        print(
            f"PostgreSQL {version}: {args.rows} members, accounts and audit events seeded "
            f"in {time.perf_counter() - started:.1f} s"
        )
        browser = sign_in(app, admin_email)
        with app.app_context():
            member_id = db.session.scalar(select(Account.id).filter_by(email=member_email))
            deep = deep_cursors(args.rows)
            offsets = offset_versus_keyset(deep, args.repeat)
        pages = [
            "/admin/",
            "/admin/comptes",
            f"/admin/comptes?apres={deep['accounts_1000']}&page=1000",
            f"/admin/comptes?apres={deep['accounts_last']}&page={args.rows // 50}",
            f"/admin/comptes?q={member_email.split('@')[0]}",
            "/admin/comptes?q=lefevre",
            "/admin/comptes?q=06 00 05 00 00",
            "/admin/comptes?q=personne-introuvable",
            f"/admin/comptes/{member_id}",
            "/admin/journal",
            f"/admin/journal?evenement=login_failed&apres={deep['failed_100']}&page=100",
            f"/admin/journal?compte={member_email}",
            "/admin/journal?du=2020-01-01&au=2020-01-02",
            "/admin/membres",
            "/admin/membres?q=dupont",
        ]
        print(f"{'page':58} {'median ms':>10} {'worst ms':>9} {'bytes':>8}")
        for page in pages:
            median, worst, size = measure(browser, page, args.repeat)
            print(f"{page:58} {median:10.1f} {worst:9.1f} {size:8d}")
        print(f"\n{'deep page, SQL only (median ms)':58} {'OFFSET':>10} {'keyset':>9}")
        for name, (offset_ms, keyset_ms) in offsets.items():
            print(f"{name:58} {offset_ms:10.1f} {keyset_ms:9.1f}")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()


if __name__ == "__main__":
    main()
