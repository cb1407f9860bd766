"""Run ``idp send-mail ARGS`` in a fresh process whose clock is frozen ``SECONDS`` from now.

    python tests/mail/run_worker.py SECONDS [send-mail options]

The settings come from the environment (IDP_*), as for ``flask --app wsgi``. Tests use it to
restart a worker "later" (past a dead worker's lease) without sleeping until then.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from idp_extension import create_app
from idp_extension.cli import idp_group
from idp_extension.clock import FrozenClock


def main() -> None:
    seconds, *options = sys.argv[1:]
    clock = FrozenClock(datetime.now(UTC) + timedelta(seconds=float(seconds)))
    app = create_app(clock=clock)
    with app.app_context():
        idp_group.main(args=["send-mail", *options], prog_name="idp")


if __name__ == "__main__":
    main()
