"""Side-by-side benchmark (not a test): this provider under scripts/serve.sh on PostgreSQL, and
panva's node oidc-provider 9 (memory adapter), driven by the same load generator.

    .venv/bin/python bench/run.py [--seconds 3] [--concurrency 1,8,32] [--no-seeded]

Prints one table: requests/s, p50 and p99 (ms) per scenario and concurrency, for us and for the
peer, and our rate as a ratio to the peer's; then resident memory per worker, then the same
figures of ours with 100,000 members and accounts seeded (``flask idp seed``). Scenarios:
discovery, JWKS, token (authorization_code exchange), refresh, userinfo, the whole flow of a
fresh browser (authorize, login page, credentials, code, token) with argon2id as configured and
made near free, and (ours only: the peer hashes nothing) the sign-in POST alone with argon2id as
configured, set against what argon2id allows on this machine's cores, and the sign-up POST at
concurrency 1 (no queueing) and 8 (the target's).

Ours runs with IDP_ACCESS_LOG=0, as behind nginx in production: the peer logs no request either.
Everything listens on 127.0.0.1 only; every process started here is stopped at the end, on
error and on Ctrl-C; the run gives up after --max-minutes. Needs PostgreSQL (``--postgres URL``,
default the local test server), node >= 20 and npm (``npm ci`` runs in bench/ when needed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import requests  # noqa: E402
from bench_support import free_port, postgres_schema  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from idp_extension import create_app  # noqa: E402
from idp_extension.config import DEFAULTS  # noqa: E402
from idp_extension.db import db  # noqa: E402
from idp_extension.models import Account, AccountStatus, MemberRecord  # noqa: E402
from idp_extension.oidc.clients import create_client  # noqa: E402
from idp_extension.oidc.keys import active_key  # noqa: E402
from idp_extension.security.passwords import PasswordHashing  # noqa: E402
from idp_extension.seeding import seed  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "Bench#Mark2026"  # noqa: S105 - the made-up members' password
CALLBACK = "http://127.0.0.1:9/callback"  # never contacted: the code is read from Location
ARGON2_KEYS = ("IDP_ARGON2_TIME_COST", "IDP_ARGON2_MEMORY_COST", "IDP_ARGON2_PARALLELISM")
NEAR_FREE_ARGON2 = {
    "IDP_ARGON2_TIME_COST": 1,
    "IDP_ARGON2_MEMORY_COST": 8,
    "IDP_ARGON2_PARALLELISM": 1,
}
BENCH_ACCOUNTS = 64
SIGNUP_MEMBERS = 2000
SCENARIOS = ("discovery", "jwks", "token", "refresh", "userinfo", "flow")
TARGETS = {"discovery": 1.5, "jwks": 1.5, "flow": 1.0, "refresh": 1.0}
SIGNUP_P99_MS = 50
# Issue 12: login throughput within 90 % of what argon2id allows with the configured parameters.
SIGNIN_SHARE_OF_ARGON2 = 0.9
WORKER_MB = 150


# --- processes ------------------------------------------------------------------------------


class Processes:
    """Every process this run starts, each in its own process group, stopped in ``close``."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.running: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str], env: dict, cwd: Path = ROOT) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 - fixed commands, no shell
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        process.log_path = self.logs / f"{name}.log"
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        # Workers left behind by a master that died first.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        if process in self.running:
            self.running.remove(process)

    def close(self) -> None:
        for process in list(self.running):
            self.stop(process)


def wait_until_up(process: subprocess.Popen, url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    tail = process.log_path.read_text(errors="replace")[-2000:]
    raise SystemExit(f"{url} did not answer; the log ends with:\n{tail}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_group_rss(pgid: int, exclude: int | None = None) -> list[float]:
    """Resident memory (MB) of each process of a group, the master (``exclude``) left out."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == exclude:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                sizes.append(rss_mb(int(entry.name)))
        except (OSError, IndexError, ValueError):
            continue
    return sizes


# --- our provider ---------------------------------------------------------------------------


class Ours:
    def __init__(
        self, processes: Processes, database_url: str, workers: int, server: str = "serve.sh"
    ):
        self.processes = processes
        self.server = server
        self.database_url = database_url
        self.workers = workers
        self.secret_key = secrets.token_urlsafe(32)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None

    def config(self, argon2: dict) -> dict:
        return {
            "IDP_DATABASE_URL": self.database_url,
            "IDP_SECRET_KEY": self.secret_key,
            "IDP_ISSUER": self.base,
            # Every request comes from one address: limits would measure the limiter's refusals.
            "IDP_RATELIMIT_ENABLED": "0",
            "IDP_RATELIMIT_STORAGE_URL": "memory://",
            # Sign-up mail stays in the outbox (no SMTP server here); codes outlive the prep.
            "IDP_MAIL_SEND_AFTER_REQUEST": "0",
            "IDP_AUTH_CODE_TTL": "600",
            **{key: str(value) for key, value in argon2.items()},
        }

    def prepare(self) -> dict:
        """Migrate; the client, the key, the bench accounts and a pool of members to sign up."""
        configured = {key: int(DEFAULTS[key]) for key in ARGON2_KEYS}
        app = create_app({k: v for k, v in self.config(configured).items()})
        now = datetime.now(UTC)
        fixtures = {"emails": [], "cheap_emails": [], "signups": []}
        with app.app_context():
            upgrade()
            for kind, argon2 in (("emails", configured), ("cheap_emails", NEAR_FREE_ARGON2)):
                password_hash = PasswordHashing(*argon2.values()).hash(PASSWORD)
                offset = 0 if kind == "emails" else BENCH_ACCOUNTS
                for n in range(offset, offset + BENCH_ACCOUNTS):
                    email = f"banc{n}@example.org"
                    db.session.add(
                        Account(
                            member_number=f"{70000000 + n:08d}",
                            email=email,
                            phone="+33612345678",
                            first_name="Hélène",
                            last_name="Lefèvre-Dupont",
                            birth_date=date(1980, 5, 17),
                            status=AccountStatus.ACTIVE,
                            password_hash=password_hash,
                            email_verified=True,
                            created_at=now,
                            activated_at=now,
                            password_changed_at=now,
                        )
                    )
                    fixtures[kind].append(email)
            for n in range(SIGNUP_MEMBERS):
                db.session.add(
                    MemberRecord(
                        member_number=f"{80000000 + n:08d}",
                        last_name="Lefèvre-Dupont" if n % 2 else "Cœur",
                        first_name="Hélène" if n % 3 else "Zoé",
                        birth_date=date(1950 + n % 50, 1 + n % 12, 1 + n % 28),
                    )
                )
            db.session.commit()
            for record in db.session.scalars(
                select(MemberRecord).where(MemberRecord.member_number.like("8%"))
            ):
                fixtures["signups"].append(
                    {
                        "member_number": record.member_number,
                        "first_name": record.first_name,
                        "last_name": record.last_name,
                        "birth_date": record.birth_date.isoformat(),
                        "email": f"inscrit{record.member_number}@example.org",
                    }
                )
            client, secret = create_client("Banc d'essai", [CALLBACK], first_party=True)
            fixtures.update(
                client_id=client.client_id, client_secret=secret, secret_key=self.secret_key
            )
            active_key()
            db.session.remove()
            db.engine.dispose()
        return fixtures

    def seed(self, members: int) -> float:
        app = create_app(self.config({key: int(DEFAULTS[key]) for key in ARGON2_KEYS}))
        started = time.perf_counter()
        with app.app_context():
            password_hash = app.extensions["idp"].passwords.hash(PASSWORD)
            seed(
                members=members,
                accounts=members,
                password_hash=password_hash,
                now=datetime.now(UTC),
            )
            db.engine.dispose()
        return time.perf_counter() - started

    def start(self, argon2: dict) -> None:
        env = {
            **os.environ,
            **self.config(argon2),
            "IDP_BIND": f"127.0.0.1:{self.port}",
            "IDP_WORKERS": str(self.workers),
            # As in production behind nginx (deploy/idp.env.example), and as the peer, which
            # logs nothing per request either.
            "IDP_ACCESS_LOG": "0",
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
        }
        self.process = self.processes.start(
            "ours", server_command(self.server, self.port, self.workers), env
        )
        wait_until_up(self.process, f"{self.base}/.well-known/openid-configuration")

    def stop(self) -> None:
        if self.process is not None:
            self.processes.stop(self.process)
            self.process = None

    def worker_rss(self) -> list[float]:
        return process_group_rss(self.process.pid, exclude=self.process.pid)


# The production server is scripts/serve.sh; --compare-servers measures these candidates
# (same bind, same worker count, access log off for all) to choose the one it runs.
CANDIDATES = ("gunicorn-gthread", "gunicorn-sync", "granian")


def server_command(server: str, port: int, workers: int) -> list[str]:
    venv = ROOT / ".venv" / "bin"
    bind = f"127.0.0.1:{port}"
    if server == "serve.sh":
        return ["bash", str(ROOT / "scripts" / "serve.sh")]
    if server == "gunicorn-gthread":
        return [
            str(venv / "gunicorn"),
            "-b",
            bind,
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            "4",
            "wsgi:app",
        ]
    if server == "gunicorn-sync":
        return [str(venv / "gunicorn"), "-b", bind, "-w", str(workers), "-k", "sync", "wsgi:app"]
    if server == "granian":
        return [
            str(venv / "granian"),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            "4",
            "--no-access-log",
            "wsgi:app",
        ]
    raise SystemExit(f"unknown server {server!r}")


# --- the peer -------------------------------------------------------------------------------


def peer_version() -> str:
    package = BENCH / "node_modules" / "oidc-provider" / "package.json"
    return json.loads(package.read_text())["version"]


def node_version() -> str:
    found = subprocess.run(["node", "--version"], capture_output=True, text=True)  # noqa: S607
    return found.stdout.strip()


def ensure_node_modules() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise SystemExit("node (>= 20) and npm are needed for the peer and the load generator")
    if not (BENCH / "node_modules" / "oidc-provider").is_dir():
        npm_ci = ["npm", "ci", "--no-audit", "--no-fund", "--silent"]
        subprocess.run(npm_ci, cwd=BENCH, check=True)  # noqa: S603, S607 - npm from PATH


def start_peer(processes: Processes, fixtures: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        "node",
        str(BENCH / "peer_provider.mjs"),
        str(port),
        fixtures["client_id"],
        fixtures["client_secret"],
        CALLBACK,
        fixtures["emails"][0],
        PASSWORD,
    ]
    env = {**os.environ, "NODE_ENV": "production"}
    process = processes.start("peer", command, env, cwd=BENCH)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(process, f"{base}/.well-known/openid-configuration")
    return process, base


# --- load -----------------------------------------------------------------------------------


def run_load(processes: Processes, plan: dict, deadline: float) -> list[dict]:
    plan_file = processes.logs / "plan.json"
    plan_file.write_text(json.dumps(plan))
    process = processes.start(
        "load", ["node", str(BENCH / "load.mjs"), str(plan_file)], dict(os.environ), cwd=BENCH
    )
    try:
        process.wait(timeout=max(5, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        processes.stop(process)
        raise SystemExit("the benchmark ran out of time (--max-minutes)") from None
    processes.stop(process)
    results = []
    for line in process.log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            results.append(json.loads(line))
    process.log_path.unlink()
    if not results and plan["cells"]:
        raise SystemExit("the load generator printed nothing")
    return results


def cells(scenarios, concurrencies, seconds) -> list[dict]:
    return [
        {"scenario": s, "concurrency": c, "seconds": seconds}
        for s in scenarios
        for c in concurrencies
    ]


def plan_for(base: str, fixtures: dict, emails: list[str], cell_list: list[dict]) -> dict:
    return {
        "base": base,
        "clientId": fixtures["client_id"],
        "clientSecret": fixtures["client_secret"],
        "redirectUri": CALLBACK,
        "password": PASSWORD,
        "emails": emails,
        "signups": fixtures["signups"],
        "cells": cell_list,
    }


# --- report ---------------------------------------------------------------------------------


def fmt_rate(value) -> str:
    return f"{value:,.0f}" if value is not None else "-"


def fmt_ms(value) -> str:
    return f"{value:.1f}" if value is not None else "-"


def key(result: dict) -> tuple[str, int]:
    return result["label"], result["concurrency"]


def print_table(title: str, ours: list[dict], peer: list[dict]) -> list[str]:
    """Print one table; return the target lines missed."""
    peers = {key(r): r for r in peer}
    print(f"\n{title}")
    side = f"{'req/s':>10} {'p50':>7} {'p99':>7} {'err':>4}"
    width = max([22, *(len(r["label"]) for r in ours)])
    header = f"{'scenario':<{width}}{'c':>3} | ours {side} | peer {side} | {'ratio':>5}"
    print(header)
    print("-" * len(header))
    for result in ours:
        other = peers.get(key(result))
        ratio = result["rate"] / other["rate"] if other and other["rate"] else None
        peer_cols = (
            f"{fmt_rate(other['rate']):>10} {fmt_ms(other['p50']):>7} "
            f"{fmt_ms(other['p99']):>7} {other['errors']:>4}"
            if other
            else f"{'n/a':>10} {'':>7} {'':>7} {'':>4}"
        )
        print(
            f"{result['label']:<{width}}{result['concurrency']:>3} | "
            f"{fmt_rate(result['rate']):>10} "
            f"{fmt_ms(result['p50']):>7} {fmt_ms(result['p99']):>7} {result['errors']:>4} | "
            f"{peer_cols} | {f'{ratio:.2f}' if ratio is not None else '-':>5}"
        )
        result["ratio"] = ratio
    for result in [*ours, *peer]:
        if result["errors"] and result.get("firstErrors") and not result.get("shown"):
            result["shown"] = True
            side = "ours" if result in ours else "peer"
            print(
                f"  {side} {result['label']} c={result['concurrency']}: {result['firstErrors'][0]}"
            )
    return check_targets(title, ours)


def check_targets(title: str, ours: list[dict]) -> list[str]:
    missed = []
    for result in ours:
        scenario = result["scenario"]
        goal = TARGETS.get(scenario)
        if result["label"] == "flow (near-free hash)" or result["label"].startswith("flow (argon2"):
            goal = TARGETS["flow"] if result["label"] == "flow (near-free hash)" else None
        if goal is not None and result.get("ratio") is not None and result["ratio"] < goal:
            missed.append(
                f"{title}: {result['label']} c={result['concurrency']}: "
                f"{result['ratio']:.2f}x < {goal}x"
            )
        if result["concurrency"] == 32 and result["errors"]:
            missed.append(
                f"{title}: {result['label']} c=32: {result['errors']} errors: "
                f"{result['firstErrors'][:1]}"
            )
        # The target is at concurrency 8; the c=1 row shows the latency without queueing.
        if (
            scenario == "signup"
            and result["concurrency"] == 8
            and result["p99"] is not None
            and result["p99"] >= SIGNUP_P99_MS
        ):
            missed.append(f"{title}: sign-up POST p99 {result['p99']:.1f} ms >= {SIGNUP_P99_MS} ms")
    return missed


def labelled(results: list[dict], label: str | None = None) -> list[dict]:
    for result in results:
        result["label"] = label or result["scenario"]
    return results


# --- the run --------------------------------------------------------------------------------


def measure_ours(
    ours: Ours, processes, fixtures, concurrencies, seconds, deadline, with_near_free
) -> list[dict]:
    configured = {key: int(DEFAULTS[key]) for key in ARGON2_KEYS}
    argon = (
        "argon2 {IDP_ARGON2_TIME_COST}/{IDP_ARGON2_MEMORY_COST}/{IDP_ARGON2_PARALLELISM}".format(
            **configured
        )
    )
    ours.start(configured)
    try:
        results = labelled(
            run_load(
                processes,
                plan_for(
                    ours.base,
                    fixtures,
                    fixtures["emails"],
                    cells(SCENARIOS[:-1], concurrencies, seconds),
                ),
                deadline,
            )
        )
        results += labelled(
            run_load(
                processes,
                plan_for(
                    ours.base, fixtures, fixtures["emails"], cells(["flow"], concurrencies, seconds)
                ),
                deadline,
            ),
            f"flow ({argon})",
        )
        results += labelled(
            run_load(
                processes,
                plan_for(
                    ours.base,
                    fixtures,
                    fixtures["emails"],
                    cells(["signin"], concurrencies, seconds),
                ),
                deadline,
            ),
            f"sign-in POST ({argon})",
        )
        results += labelled(
            run_load(
                processes,
                plan_for(
                    ours.base, fixtures, fixtures["emails"], cells(["signup"], [1, 8], seconds)
                ),
                deadline,
            ),
            "sign-up POST",
        )
        rss = ours.worker_rss()
    finally:
        ours.stop()
    if with_near_free:
        ours.start(NEAR_FREE_ARGON2)
        try:
            results += labelled(
                run_load(
                    processes,
                    plan_for(
                        ours.base,
                        fixtures,
                        fixtures["cheap_emails"],
                        cells(["flow"], concurrencies, seconds),
                    ),
                    deadline,
                ),
                "flow (near-free hash)",
            )
        finally:
            ours.stop()
    return results, rss


def compare_servers(
    processes, database_url, workers, fixtures, concurrencies, seconds, deadline
) -> None:
    scenarios = ["discovery", "jwks", "token", "refresh", "userinfo", "flow"]
    print(
        f"\n{'server':<18}{'scenario':<11}{'c':>3} | {'req/s':>8} {'p50':>7} {'p99':>7} {'err':>4}"
    )
    for server in CANDIDATES:
        candidate = Ours(processes, database_url, workers, server)
        candidate.secret_key = fixtures["secret_key"]
        candidate.start(NEAR_FREE_ARGON2)
        try:
            plan = plan_for(
                candidate.base,
                fixtures,
                fixtures["cheap_emails"],
                cells(scenarios, concurrencies, seconds),
            )
            for r in run_load(processes, plan, deadline):
                print(
                    f"{server:<18}{r['scenario']:<11}{r['concurrency']:>3} | "
                    f"{fmt_rate(r['rate']):>8} "
                    f"{fmt_ms(r['p50']):>7} {fmt_ms(r['p99']):>7} {r['errors']:>4}",
                    flush=True,
                )
            rss = candidate.worker_rss()
            print(f"{server:<18}worker RSS {', '.join(f'{m:.0f}' for m in rss)} MB", flush=True)
        finally:
            candidate.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3, help="measured seconds per cell")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated levels")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="IDP_WORKERS")
    parser.add_argument(
        "--seeded",
        type=int,
        default=100_000,
        help="members and accounts for the second table (0: skip)",
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("IDP_TEST_DATABASE_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--max-minutes", type=float, default=15)
    parser.add_argument(
        "--compare-servers",
        action="store_true",
        help=f"measure ours under each of {', '.join(CANDIDATES)} instead (no peer, no seeding)",
    )
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    seconds = min(max(args.seconds, 0.5), 60)
    deadline = time.monotonic() + args.max_minutes * 60
    timer = threading.Timer(
        args.max_minutes * 60 + 60, lambda: os.kill(os.getpid(), signal.SIGTERM)
    )
    timer.daemon = True
    timer.start()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    ensure_node_modules()
    schema = postgres_schema(args.postgres)
    if schema is None:
        raise SystemExit(f"PostgreSQL is needed ({args.postgres} did not answer; --postgres URL)")
    database_url, server_version, drop = schema
    logs = Path(tempfile.mkdtemp(prefix="idp-bench-"))
    processes = Processes(logs)
    started = time.monotonic()
    try:
        ours = Ours(processes, database_url, args.workers)
        fixtures = ours.prepare()
        configured = {key: int(DEFAULTS[key]) for key in ARGON2_KEYS}
        hashing = PasswordHashing(*configured.values())
        hashing.hash(PASSWORD)
        t0, cpu0 = time.perf_counter(), time.process_time()
        for _ in range(5):
            hashing.hash(PASSWORD)
        hash_ms = (time.perf_counter() - t0) * 1000 / 5
        hash_cpu_ms = (time.process_time() - cpu0) * 1000 / 5
        print(
            f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
            f"PostgreSQL {server_version}; "
            f"ours: scripts/serve.sh, {args.workers} workers, IDP_ACCESS_LOG=0 (no request "
            f"log, like the peer); peer: oidc-provider "
            f"{peer_version()}, node {node_version()}; argon2id "
            f"{'/'.join(str(v) for v in configured.values())} (t/m KiB/p): "
            f"{hash_ms:.0f} ms per hash here ({hash_cpu_ms:.0f} ms of CPU: at most "
            f"{1000 / hash_cpu_ms:.0f} logins/s per core)",
            flush=True,
        )
        if args.compare_servers:
            compare_servers(
                processes, database_url, args.workers, fixtures, concurrencies, seconds, deadline
            )
            return 0
        ours_results, rss = measure_ours(
            ours, processes, fixtures, concurrencies, seconds, deadline, True
        )
        peer_process, peer_base = start_peer(processes, fixtures)
        try:
            peer_results = run_load(
                processes,
                plan_for(
                    peer_base,
                    fixtures,
                    fixtures["emails"][:1],
                    cells(SCENARIOS, concurrencies, seconds),
                ),
                deadline,
            )
            peer_rss = rss_mb(peer_process.pid)
        finally:
            processes.stop(peer_process)
        peer_flows = [r for r in peer_results if r["scenario"] == "flow"]
        for label in {r["label"] for r in ours_results if r["scenario"] == "flow"}:
            peer_results += [{**r, "label": label} for r in peer_flows]
        labelled([r for r in peer_results if "label" not in r])
        missed = print_table("Table 1: empty register", ours_results, peer_results)
        print(
            f"\nresident memory: ours {', '.join(f'{m:.0f}' for m in rss)} MB per worker "
            f"(target < {WORKER_MB}); peer {peer_rss:.0f} MB (one process)"
        )
        missed += [f"worker RSS {m:.0f} MB >= {WORKER_MB} MB" for m in rss if m >= WORKER_MB]
        allowed = (os.cpu_count() or 1) * 1000 / hash_cpu_ms
        best_signin = max((r["rate"] for r in ours_results if r["scenario"] == "signin"), default=0)
        best_flow = max(
            (r["rate"] for r in ours_results if r["label"].startswith("flow (argon2")), default=0
        )
        share = best_signin / allowed
        print(
            f"logins: argon2id allows {allowed:.0f}/s on {os.cpu_count()} cores; sign-in POST "
            f"reached {best_signin:.1f}/s ({100 * share:.0f} %, target "
            f"{100 * SIGNIN_SHARE_OF_ARGON2:.0f} %)  (the whole flow with login: "
            f"{best_flow:.1f}/s)"
        )
        if share < SIGNIN_SHARE_OF_ARGON2:
            missed.append(
                f"sign-in POST {best_signin:.1f}/s is {100 * share:.0f} % of the {allowed:.0f}/s "
                f"argon2id allows (target {100 * SIGNIN_SHARE_OF_ARGON2:.0f} %)"
            )
        if args.seeded:
            took = ours.seed(args.seeded)
            print(f"\nseeded {args.seeded:,} members and accounts in {took:.1f} s", flush=True)
            seeded_results, seeded_rss = measure_ours(
                ours, processes, fixtures, concurrencies, seconds, deadline, False
            )
            missed += print_table(
                f"Table 2: {args.seeded:,} members and accounts seeded (peer figures of table 1)",
                seeded_results,
                peer_results,
            )
            print(
                "\nresident memory, seeded: ours "
                f"{', '.join(f'{m:.0f}' for m in seeded_rss)} MB per worker"
            )
        print("\ntargets missed:" if missed else "\nall targets met")
        for line in missed:
            print(f"  - {line}")
        print(
            f"\n(ran {time.monotonic() - started:.0f} s; ratio = our requests/s over the "
            f"peer's; logs in {logs})"
        )
        return 0
    except KeyboardInterrupt:
        print("interrupted: stopping every process started", file=sys.stderr)
        return 130
    finally:
        processes.close()
        drop()
        timer.cancel()


if __name__ == "__main__":
    sys.exit(main())
