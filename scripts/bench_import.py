"""Benchmark of the register import (not a test): ``import-members`` against ``psql \\copy``.

    .venv/bin/python scripts/bench_import.py [--rows 1000000] [--small-rows 100000]
                                             [--postgres URL] [--keep-file]

Generates a CSV of ROWS made-up members, then, on a throw-away PostgreSQL schema and in the
same run: times ``psql \\copy`` of that file into a table with a primary key (the floor), and
``flask idp import-members`` of the same file into an empty register (every row added) and again
(every row unchanged, the usual night). Each import runs in its own process, whose peak resident
memory is read from the kernel (``getrusage(RUSAGE_CHILDREN)``); a run with SMALL_ROWS shows
that memory does not grow with the file. Prints the times, the ratio to ``\\copy``, the peak
memory and the extrapolation to 5 million rows. Targets: within 10x ``\\copy``, under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_support import postgres_schema  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LAST_NAMES = ["Martin", "Bernard", "Lefèvre-Dupont", "Cœur", "Petit", "Durand", "N'Diaye", "Roux"]
FIRST_NAMES = ["Hélène", "Zoé", "Jean-Marc", "Léa", "Noël", "Chloé", "Paul", "Anaïs"]
# One process, no Redis needed; a throw-away session key.
SETTINGS = {"IDP_RATELIMIT_STORAGE_URL": "memory://", "IDP_SECRET_KEY": secrets.token_hex(32)}
TARGET_RATIO = 10
TARGET_MEMORY_MB = 200


def write_csv(path: Path, rows: int) -> None:
    """ROWS distinct members (numbers shuffled in blocks, as an export sorted by name would be)."""
    pick = random.Random(42)  # noqa: S311 - made-up data, reproducible
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("member_number,last_name,first_name,birth_date,status\n")
        start = 10_000_000
        for block in range(0, rows, 10_000):
            numbers = list(range(start + block, start + min(block + 10_000, rows)))
            pick.shuffle(numbers)
            out.writelines(
                f"{n},{pick.choice(LAST_NAMES)},{pick.choice(FIRST_NAMES)},"
                f"{1930 + n % 90}-{1 + n % 12:02d}-{1 + n % 28:02d},"
                f"{'terminated' if n % 50 == 0 else 'active'}\n"
                for n in numbers
            )


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1).split("?", 1)[0]


def time_copy(base_url: str, schema: str, path: Path) -> float:
    """Seconds for psql's \\copy of the file into a keyed table (psql started before timing)."""
    table = f"{schema}.copy_floor"
    script = (
        f"CREATE TABLE {table} (member_number varchar(8) PRIMARY KEY, last_name varchar(100), "
        "first_name varchar(100), birth_date date, status varchar(16));\n"
        "\\timing on\n"
        f"\\copy {table} FROM '{path}' WITH (FORMAT csv, HEADER true)\n"
    )
    # psql from PATH, as an operator runs it; our own command line, no shell.
    psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", libpq_url(base_url)]
    result = subprocess.run(  # noqa: S603
        psql,  # noqa: S607
        input=script,
        capture_output=True,
        text=True,
        check=True,
    )
    # psql prints "Time: 1234.567 ms (00:01.235)" for the \copy.
    line = next(x for x in result.stdout.splitlines() if x.startswith("Time:"))
    return float(line.split()[1]) / 1000


def create_register(database_url: str) -> None:
    from idp_extension import create_app
    from idp_extension.db import db

    app = create_app({**SETTINGS, "IDP_DATABASE_URL": database_url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def run_import(database_url: str, path: Path) -> tuple[float, float, dict]:
    """(seconds, peak resident MB of the command's process, its JSON report)."""
    env = {**os.environ, **SETTINGS, "IDP_DATABASE_URL": database_url}
    command = [
        str(Path(sys.executable).parent / "flask"),
        "--app",
        "wsgi",
        "idp",
        "import-members",
        "--quiet",
        "--json",
        str(path),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own command line
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    output = process.stdout.read()
    # wait4 gives this child's own rusage: ru_maxrss is its peak resident set, in KB on Linux.
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"import failed with status {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024, json.loads(output)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=100_000)
    parser.add_argument(
        "--postgres", default=os.environ.get("IDP_BENCH_POSTGRES", DEFAULT_POSTGRES)
    )
    parser.add_argument("--keep-file", action="store_true")
    options = parser.parse_args()

    schema = postgres_schema(options.postgres)
    if schema is None:
        raise SystemExit("PostgreSQL is needed for this benchmark")
    database_url, server_version, drop = schema
    name = database_url.rsplit("%3D", 1)[1]
    small_schema = postgres_schema(options.postgres)
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    big, small = folder / "register.csv", folder / "register-small.csv"
    try:
        print(f"PostgreSQL {server_version}, {os.cpu_count()} CPUs, load average {load_average()}")
        started = time.perf_counter()
        write_csv(big, options.rows)
        write_csv(small, options.small_rows)
        size_mb = big.stat().st_size / 1e6
        print(
            f"generated {options.rows:,} rows ({size_mb:.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )

        create_register(database_url)
        if small_schema is not None:
            create_register(small_schema[0])
        copy_seconds = time_copy(options.postgres, name, big)
        print(f"psql \\copy into a keyed table: {copy_seconds:.2f} s")
        first, first_mb, report = run_import(database_url, big)
        print(
            f"import-members, empty register: {first:.2f} s, peak {first_mb:.0f} MB, "
            f"added {report['added']:,}"
        )
        again, again_mb, report = run_import(database_url, big)
        print(
            f"import-members, same file again: {again:.2f} s, peak {again_mb:.0f} MB, "
            f"unchanged {report['unchanged']:,}"
        )
        small_mb = None
        if small_schema is not None:
            _, small_mb, _ = run_import(small_schema[0], small)
            print(f"import-members, {options.small_rows:,} rows: peak {small_mb:.0f} MB")

        worst = max(first, again)
        ratio = worst / copy_seconds
        peak = max(first_mb, again_mb)
        scale = 5_000_000 / options.rows
        print()
        print(
            f"ratio to \\copy: {first / copy_seconds:.1f}x (empty register), "
            f"{again / copy_seconds:.1f}x (unchanged); target {TARGET_RATIO}x: "
            f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}"
        )
        print(
            f"peak memory: {peak:.0f} MB at {options.rows:,} rows"
            + (f", {small_mb:.0f} MB at {options.small_rows:,}" if small_mb else "")
            + f"; target {TARGET_MEMORY_MB} MB: "
            f"{'met' if peak <= TARGET_MEMORY_MB else 'NOT met'}"
        )
        print(
            f"extrapolated to 5,000,000 rows: \\copy {copy_seconds * scale:.0f} s, import "
            f"{first * scale:.0f} s (empty) / {again * scale:.0f} s (unchanged), "
            f"memory {peak:.0f} MB (flat: batches of 10,000 rows)"
        )
        print(f"load average after: {load_average()} (figures are noisy on a busy machine)")
    finally:
        drop()
        if small_schema is not None:
            small_schema[2]()
        if options.keep_file:
            print(f"files kept in {folder}")
        else:
            for path in (big, small):
                path.unlink(missing_ok=True)
            folder.rmdir()


if __name__ == "__main__":
    main()
