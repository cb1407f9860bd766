"""Benchmark of the provider's hot paths over HTTP (not a test): how much does one box serve?

    .venv/bin/python scripts/bench_http.py [--concurrency 4] [--accounts 20] [--requests 2000]
        [--logins 40] [--flows 100] [--refreshes 1000] [--time-limit 30]
        [--postgres URL | --no-postgres]

Migrates a temporary SQLite database (and a throw-away PostgreSQL schema when the server
answers), creates active accounts hashed with the production argon2id parameters and a
confidential first-party client, starts the provider under gunicorn on 127.0.0.1 (2 workers,
4 threads each, rate limits off since every request comes from one address) and drives it with
``requests`` sessions from a small thread pool, as browsers and a relying party would:

1. discovery and JWKS GETs;
2. sign-in on the real login page (form GET for the CSRF token, then the POST: argon2id);
3. the authorization code flow of an already signed-in browser: /authorize, /token
   (client_secret_basic), /userinfo;
4. refresh-token rotation.

Every response is checked; a phase stops after its request count or its time limit, whichever
comes first, and gunicorn is stopped whatever happens. Loopback only.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench_support import free_port, postgres_schema  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from idp_extension import create_app  # noqa: E402
from idp_extension.config import DEFAULTS  # noqa: E402
from idp_extension.db import db  # noqa: E402
from idp_extension.models import Account, AccountStatus  # noqa: E402
from idp_extension.oidc.clients import create_client  # noqa: E402
from idp_extension.oidc.keys import active_key  # noqa: E402
from idp_extension.security.passwords import PasswordHashing  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4
MAX_CONCURRENCY = 32
MAX_ACCOUNTS = 500
MAX_REQUESTS = 20_000
MAX_TIME_LIMIT = 300
REQUEST_TIMEOUT = 30
PASSWORD = "Bench#Mark2026"  # noqa: S105 - the fictitious members' password
CALLBACK = "http://127.0.0.1:9/callback"  # never contacted: the code is read from Location
SCOPE = "openid profile email phone member"
ARGON2_KEYS = ("IDP_ARGON2_TIME_COST", "IDP_ARGON2_MEMORY_COST", "IDP_ARGON2_PARALLELISM")
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class BenchError(RuntimeError):
    """A response was not what a browser or relying party expects."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise BenchError(message)


# --- setting up -------------------------------------------------------------------------------


def production_argon2() -> dict[str, int]:
    return {key: int(DEFAULTS[key]) for key in ARGON2_KEYS}


@dataclass
class Setup:
    emails: list[str]
    client_id: str
    client_secret: str


def prepare_database(database_url: str, secret_key: str, issuer: str, accounts: int) -> Setup:
    """Migrate, create the accounts, the client and the signing key (before two workers race)."""
    app = create_app(
        {
            "IDP_DATABASE_URL": database_url,
            "IDP_SECRET_KEY": secret_key,
            "IDP_ISSUER": issuer,
            "IDP_RATELIMIT_ENABLED": False,
            **production_argon2(),
        }
    )
    hashing = PasswordHashing.from_config(app.config)
    now = datetime.now(UTC)
    emails = [f"adherent{number}@example.org" for number in range(accounts)]
    with app.app_context():
        upgrade()
        for number, email in enumerate(emails):
            db.session.add(
                Account(
                    member_number=f"{70000000 + number:08d}",
                    email=email,
                    phone="+33612345678",
                    first_name="Hélène",
                    last_name="Lefèvre-Dupont",
                    birth_date=date(1980, 5, 17),
                    status=AccountStatus.ACTIVE,
                    password_hash=hashing.hash(PASSWORD),
                    email_verified=True,
                    created_at=now,
                    activated_at=now,
                    password_changed_at=now,
                )
            )
        db.session.commit()
        client, secret = create_client("Banc d'essai", [CALLBACK], first_party=True)
        setup = Setup(emails, client.client_id, secret)
        active_key()
        db.session.remove()
        db.engine.dispose()
    return setup


def time_one_hash() -> float:
    """Milliseconds of one argon2id hash with the production parameters, in this process."""
    hashing = PasswordHashing(*production_argon2().values())
    hashing.hash(PASSWORD)
    started = time.perf_counter()
    rounds = 3
    for _ in range(rounds):
        hashing.hash(PASSWORD)
    return (time.perf_counter() - started) * 1000 / rounds


def start_gunicorn(database_url: str, secret_key: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "IDP_DATABASE_URL": database_url,
        "IDP_ISSUER": f"http://127.0.0.1:{port}",
        "IDP_SECRET_KEY": secret_key,
        "IDP_RATELIMIT_ENABLED": "false",
        **{key: str(value) for key, value in production_argon2().items()},
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(GUNICORN_WORKERS),
        "--threads",
        str(GUNICORN_THREADS),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - no shell
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.1)
    stop(server)
    tail = log.read_text(errors="replace")[-2000:]
    raise SystemExit(f"gunicorn did not start; its log ends with:\n{tail}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


# --- measuring --------------------------------------------------------------------------------

Record = Callable[[str, float], None]
Step = Callable[[Record], None]


@dataclass
class PhaseResult:
    name: str
    unit: str
    units_per_step: int
    done: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    first_errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.done * self.units_per_step / self.seconds if self.seconds else 0.0


def timed(record: Record, step: str, call: Callable[[], requests.Response]) -> requests.Response:
    started = time.perf_counter()
    response = call()
    record(step, time.perf_counter() - started)
    return response


def run_phase(
    name: str, unit: str, units_per_step: int, steps: list[Step], total: int, time_limit: float
) -> PhaseResult:
    """Run ``total`` steps over the threads (one per entry of ``steps``, each with its own
    state), stopping early at ``time_limit`` seconds."""
    result = PhaseResult(name, unit, units_per_step)
    lock = threading.Lock()
    tickets = itertools.count()
    deadline = time.monotonic() + time_limit

    def record(step: str, seconds: float) -> None:
        with lock:
            result.latencies.setdefault(step, []).append(seconds)

    def work(step: Step) -> None:
        while time.monotonic() < deadline:
            with lock:
                if next(tickets) >= total:
                    return
            try:
                step(record)
            except Exception as error:  # noqa: BLE001 - counted and shown, the run goes on
                with lock:
                    result.errors += 1
                    if len(result.first_errors) < 3:
                        result.first_errors.append(f"{type(error).__name__}: {error}"[:300])
            else:
                with lock:
                    result.done += 1

    threads = [threading.Thread(target=work, args=(step,), daemon=True) for step in steps]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(time_limit + 2 * REQUEST_TIMEOUT)
    result.seconds = time.perf_counter() - started
    return result


class Provider:
    """What the benchmark knows of the running provider: its endpoints and the fixtures."""

    def __init__(self, base: str, setup: Setup):
        self.base = base
        self.setup = setup
        config = requests.get(
            f"{base}/.well-known/openid-configuration", timeout=REQUEST_TIMEOUT
        ).json()
        self.authorize_url = config["authorization_endpoint"]
        self.token_url = config["token_endpoint"]
        self.userinfo_url = config["userinfo_endpoint"]
        self.jwks_url = config["jwks_uri"]
        self._emails = itertools.cycle(setup.emails)
        self._lock = threading.Lock()

    def next_email(self) -> str:
        with self._lock:
            return next(self._emails)

    def sign_in(self, email: str, record: Record | None = None) -> requests.Session:
        """A fresh browser that opens the login page and signs in; returns its session."""
        record = record or (lambda step, seconds: None)
        browser = requests.Session()
        page = timed(
            record,
            "GET /connexion",
            lambda: browser.get(f"{self.base}/connexion", timeout=REQUEST_TIMEOUT),
        )
        expect(page.status_code == 200, f"login page answered {page.status_code}")
        found = CSRF_FIELD.search(page.text)
        expect(found is not None, "the login page has no CSRF token")
        reply = timed(
            record,
            "POST /connexion",
            lambda: browser.post(
                f"{self.base}/connexion",
                timeout=REQUEST_TIMEOUT,
                allow_redirects=False,
                data={"csrf_token": found.group(1), "email": email, "password": PASSWORD},
            ),
        )
        expect(
            reply.status_code == 302 and "/connexion" not in reply.headers.get("Location", ""),
            f"sign-in answered {reply.status_code}",
        )
        return browser

    def tokens(self, browser: requests.Session, rp: requests.Session, record: Record) -> dict:
        """One authorization code flow of a signed-in browser, up to the userinfo call."""
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        reply = timed(
            record,
            "GET /authorize",
            lambda: browser.get(
                self.authorize_url,
                timeout=REQUEST_TIMEOUT,
                allow_redirects=False,
                params={
                    "response_type": "code",
                    "client_id": self.setup.client_id,
                    "redirect_uri": CALLBACK,
                    "scope": SCOPE,
                    "state": state,
                    "nonce": nonce,
                },
            ),
        )
        location = reply.headers.get("Location", "")
        expect(
            reply.status_code == 302 and location.startswith(CALLBACK),
            f"/authorize answered {reply.status_code}, not a redirect to the client",
        )
        query = parse_qs(urlsplit(location).query)
        expect(
            query.get("state") == [state] and "code" in query,
            "the redirect carries no code or the wrong state",
        )
        reply = timed(
            record,
            "POST /token (code)",
            lambda: rp.post(
                self.token_url,
                timeout=REQUEST_TIMEOUT,
                auth=(self.setup.client_id, self.setup.client_secret),
                data={
                    "grant_type": "authorization_code",
                    "code": query["code"][0],
                    "redirect_uri": CALLBACK,
                },
            ),
        )
        expect(reply.status_code == 200, f"/token answered {reply.status_code}")
        token = reply.json()
        expect(
            all(token.get(k) for k in ("access_token", "id_token", "refresh_token")),
            "the token response lacks a token",
        )
        reply = timed(
            record,
            "GET /userinfo",
            lambda: rp.get(
                self.userinfo_url,
                timeout=REQUEST_TIMEOUT,
                headers={"Authorization": f"Bearer {token['access_token']}"},
            ),
        )
        expect(
            reply.status_code == 200 and reply.json().get("sub"),
            f"/userinfo answered {reply.status_code}",
        )
        return token


def discovery_steps(provider: Provider, concurrency: int) -> list[Step]:
    def make() -> Step:
        http = requests.Session()

        def step(record: Record) -> None:
            reply = timed(
                record,
                "GET discovery",
                lambda: http.get(
                    f"{provider.base}/.well-known/openid-configuration", timeout=REQUEST_TIMEOUT
                ),
            )
            expect(
                reply.status_code == 200 and reply.json()["issuer"] == provider.base,
                f"discovery answered {reply.status_code}",
            )
            reply = timed(
                record, "GET JWKS", lambda: http.get(provider.jwks_url, timeout=REQUEST_TIMEOUT)
            )
            expect(
                reply.status_code == 200 and reply.json()["keys"],
                f"JWKS answered {reply.status_code}",
            )

        return step

    return [make() for _ in range(concurrency)]


def login_steps(provider: Provider, concurrency: int) -> list[Step]:
    def step(record: Record) -> None:
        provider.sign_in(provider.next_email(), record).close()

    return [step] * concurrency


def flow_steps(provider: Provider, browsers: list[requests.Session]) -> list[Step]:
    def make(browser: requests.Session) -> Step:
        rp = requests.Session()

        def step(record: Record) -> None:
            started = time.perf_counter()
            provider.tokens(browser, rp, record)
            record("whole flow", time.perf_counter() - started)

        return step

    return [make(browser) for browser in browsers]


def refresh_steps(provider: Provider, browsers: list[requests.Session]) -> list[Step]:
    """One token family per thread, each refresh rotating it."""

    def make(browser: requests.Session) -> Step:
        rp = requests.Session()
        current = provider.tokens(browser, rp, lambda step, seconds: None)["refresh_token"]

        def step(record: Record) -> None:
            nonlocal current
            reply = timed(
                record,
                "POST /token (refresh)",
                lambda: rp.post(
                    provider.token_url,
                    timeout=REQUEST_TIMEOUT,
                    auth=(provider.setup.client_id, provider.setup.client_secret),
                    data={"grant_type": "refresh_token", "refresh_token": current},
                ),
            )
            expect(reply.status_code == 200, f"refresh answered {reply.status_code}")
            rotated = reply.json().get("refresh_token")
            expect(bool(rotated) and rotated != current, "the refresh token did not rotate")
            current = rotated

        return step

    return [make(browser) for browser in browsers]


# --- reporting --------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1] * 1000


TABLE_HEADER = (
    f"  {'phase':<24} {'done':>5} {'errors':>6} {'seconds':>7}  {'rate':<20}  "
    f"{'step':<22} {'p50 ms':>8} {'p95 ms':>8}"
)


def print_result(result: PhaseResult) -> None:
    """One row per step; the phase's figures on its first row."""
    rate = f"{result.rate:.1f} {result.unit}/s"
    done = result.done * result.units_per_step
    left = f"  {result.name:<24} {done:>5} {result.errors:>6} {result.seconds:>7.2f}  {rate:<20}"
    if not result.latencies:
        print(left)
    for step, values in result.latencies.items():
        print(
            f"{left}  {step:<22} {percentile(values, 0.5):>8.1f} {percentile(values, 0.95):>8.1f}"
        )
        left = " " * len(left)
    for message in result.first_errors:
        print(f"    error: {message}")


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run(label: str, database_url: str, options: argparse.Namespace) -> list[PhaseResult]:
    secret_key = secrets.token_hex(32)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    setup = prepare_database(database_url, secret_key, base, options.accounts)
    print(
        f"\n{label}: migrated, {options.accounts} accounts and a client created in "
        f"{time.perf_counter() - started:.1f} s; load average before {load_average()}"
    )
    results = []
    with tempfile.TemporaryDirectory() as folder:
        server = start_gunicorn(database_url, secret_key, port, Path(folder) / "gunicorn.log")
        try:
            provider = Provider(base, setup)
            concurrency = options.concurrency
            print(TABLE_HEADER)
            # Signed-in browsers for the flows, one per thread, each a different member.
            browsers = [
                provider.sign_in(provider.setup.emails[slot % options.accounts])
                for slot in range(concurrency)
            ]
            for browser in browsers:  # warm-up, not measured: a few whole flows
                with requests.Session() as rp:
                    provider.tokens(browser, rp, lambda step, seconds: None)
            phases = [
                (
                    "discovery + JWKS",
                    "requests",
                    2,
                    options.requests // 2,
                    lambda: discovery_steps(provider, concurrency),
                ),
                (
                    "login (argon2id)",
                    "logins",
                    1,
                    options.logins,
                    lambda: login_steps(provider, concurrency),
                ),
                (
                    "authorization code flow",
                    "flows",
                    1,
                    options.flows,
                    lambda: flow_steps(provider, browsers),
                ),
                (
                    "refresh rotation",
                    "grants",
                    1,
                    options.refreshes,
                    lambda: refresh_steps(provider, browsers),
                ),
            ]
            for name, unit, units_per_step, total, make_steps in phases:
                result = run_phase(
                    name, unit, units_per_step, make_steps(), total, options.time_limit
                )
                print_result(result)
                results.append(result)
            for browser in browsers:
                browser.close()
        finally:
            stop(server)
    print(f"  load average after {load_average()}")
    return results


def machine_facts(options: argparse.Namespace) -> None:
    argon2 = production_argon2()
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    print(
        f"machine: {cpus} CPUs ({usable} usable), {platform.platform()}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"server: gunicorn {version('gunicorn')}, {GUNICORN_WORKERS} workers x "
        f"{GUNICORN_THREADS} threads, 127.0.0.1; client: {options.concurrency} threads "
        f"(requests {version('requests')}) on the same machine"
    )
    print(
        f"argon2id: time_cost {argon2['IDP_ARGON2_TIME_COST']}, memory "
        f"{argon2['IDP_ARGON2_MEMORY_COST']} KiB, parallelism "
        f"{argon2['IDP_ARGON2_PARALLELISM']}: one hash takes {time_one_hash():.0f} ms here"
    )
    print(
        f"load average (1, 5, 15 min): {load_average()} - other work on this machine "
        f"lowers the figures"
    )
    print(
        "counted: each discovery or JWKS GET; a login = login page GET + form POST; a flow = "
        "/authorize + /token + /userinfo; a grant = one refresh; p50/p95 = nearest rank"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--accounts", type=int, default=20, help="members who sign in")
    parser.add_argument("--requests", type=int, default=2000, help="discovery + JWKS GETs")
    parser.add_argument("--logins", type=int, default=40)
    parser.add_argument("--flows", type=int, default=100, help="authorization code flows")
    parser.add_argument("--refreshes", type=int, default=1000, help="refresh-token grants")
    parser.add_argument("--time-limit", type=float, default=30, help="seconds per phase, at most")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL URL to try")
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()
    options.concurrency = max(1, min(options.concurrency, MAX_CONCURRENCY))
    options.accounts = max(1, min(options.accounts, MAX_ACCOUNTS))
    for name in ("requests", "logins", "flows", "refreshes"):
        setattr(options, name, max(2, min(getattr(options, name), MAX_REQUESTS)))
    options.time_limit = max(1.0, min(options.time_limit, MAX_TIME_LIMIT))

    machine_facts(options)
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        print(f"\ndatabase: SQLite {sqlite3.sqlite_version} (WAL, a temporary file)")
        results = run("sqlite", f"sqlite:///{folder}/bench.sqlite3", options)
        failed |= any(result.errors for result in results)
    if not options.no_postgres:
        schema = postgres_schema(options.postgres)
        if schema is not None:
            url, server_version, drop = schema
            print(f"\ndatabase: PostgreSQL {server_version} (127.0.0.1, a throw-away schema)")
            try:
                results = run("postgresql", url, options)
                failed |= any(result.errors for result in results)
            finally:
                drop()
    if failed:
        raise SystemExit("some requests failed: the figures above are not to be trusted")


if __name__ == "__main__":
    main()
