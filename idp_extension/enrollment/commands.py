"""``flask idp import-members FILE``: fill the member register from a CSV export;
``flask idp free-email EMAIL``: free an address held by a sign-up never activated."""

from __future__ import annotations

import json
import os
import sys
import time

import click
from flask.cli import with_appcontext

from ..cli import idp_group, summary
from ..settings import settings
from . import service
from .importing import ImportFileError, TerminationGuardError, import_members


class _Progress:
    """A progress bar over the file's bytes, labelled with rows and rows per second."""

    def __init__(self, size: int):
        self.bar = click.progressbar(
            length=max(size, 1),
            label="Importing",
            show_eta=True,
            show_percent=True,
            item_show_func=self._rows,
            file=sys.stderr,
        )
        self.started = time.monotonic()
        self.rows = 0
        self.position = 0

    def _rows(self, _item) -> str:
        rate = self.rows / max(time.monotonic() - self.started, 1e-6)
        return f"{self.rows:,} rows, {rate:,.0f} rows/s"

    def __call__(self, rows: int, position: int) -> None:
        self.rows = rows
        self.bar.update(max(position - self.position, 0), current_item=rows)
        self.position = max(position, self.position)

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        self.bar.__exit__(*exc)


@idp_group.command("import-members")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--dry-run", is_flag=True, help="Check and count everything, write nothing.")
@click.option(
    "--terminate-missing",
    is_flag=True,
    help="The file is a full export: terminate active members absent from it.",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --terminate-missing: terminate even above IDP_IMPORT_TERMINATE_MAX_PERCENT.",
)
@click.option("--quiet", is_flag=True, help="No progress bar nor summary (for cron).")
@with_appcontext
def import_members_command(
    file: str, as_json: bool, dry_run: bool, terminate_missing: bool, force: bool, quiet: bool
) -> None:
    """Upsert the member register from a CSV export (see idp_extension.enrollment.importing).

    Rejected rows are printed on stderr by line number and skipped; the run is one transaction.
    """

    def reject(row) -> None:
        if not as_json:
            click.echo(f"{file}:{row.line}: rejected: {row.reason}", err=True)

    show_progress = not quiet and not as_json
    progress = _Progress(os.path.getsize(file)) if show_progress else None
    try:
        if progress is not None:
            with progress:
                report = _run(file, dry_run, terminate_missing, force, reject, progress)
        else:
            report = _run(file, dry_run, terminate_missing, force, reject, None)
    except (ImportFileError, TerminationGuardError) as error:
        raise click.ClickException(f"{file}: {error}") from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    elif not quiet:
        click.echo(report.summary())


def _run(file, dry_run, terminate_missing, force, reject, progress):
    return import_members(
        file,
        dry_run=dry_run,
        terminate_missing=terminate_missing,
        force=force,
        max_terminate_percent=settings().import_terminate_max_percent,
        on_reject=reject,
        on_progress=progress,
    )


@idp_group.command("free-email")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@with_appcontext
def free_email_command(email: str, as_json: bool) -> None:
    """Free EMAIL when a sign-up never activated holds it (that pending account is deleted)."""
    try:
        freed = service.free_email_address(email, admin_id=None)
    except service.AddressNotFreeableError:
        raise click.ClickException(
            f"{email} belongs to an account that was activated; only an address held by a "
            "sign-up never activated can be freed"
        ) from None
    line = f"{email} freed" if freed else f"no account holds {email}"
    summary({"email": email, "freed": freed}, line, as_json)
