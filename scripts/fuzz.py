"""Long property-based fuzzing of the OAuth / OpenID endpoints (not part of CI's budget).

    .venv/bin/python scripts/fuzz.py [--examples 5000] [pytest options]

Runs tests/oidc/test_fuzz_endpoints.py (authorize, token, userinfo, revoke, introspect,
logout) with EXAMPLES examples per endpoint and fresh randomness each run; CI runs the same
properties with 200 derandomized examples. A failure prints hypothesis' smallest example.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000, help="examples per endpoint")
    options, pytest_args = parser.parse_known_args()
    environment = {
        **os.environ,
        "IDP_FUZZ_EXAMPLES": str(options.examples),
        "IDP_FUZZ_RANDOM": "1",
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/oidc/test_fuzz_endpoints.py",
        "-q",
        "-p",
        "no:cacheprovider",
        *pytest_args,
    ]
    return subprocess.call(command, cwd=ROOT, env=environment)  # noqa: S603 - our own test file


if __name__ == "__main__":
    sys.exit(main())
