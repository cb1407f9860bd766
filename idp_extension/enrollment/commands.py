"""``flask idp import-members FILE``: fill the member register from a CSV export;
``flask idp free-email EMAIL``: free an address held by a sign-up never activated."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..cli import idp_group, summary
from . import service
from .importing import ImportFileError, import_members


@idp_group.command("import-members")
@click.argument("file", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def import_members_command(file, as_json: bool) -> None:
    """Upsert the member register from a CSV export (see idp_extension.enrollment.importing)."""
    try:
        report = import_members(file.read())
    except ImportFileError as error:
        raise click.ClickException(f"{file.name}: {error}") from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    click.echo(report.summary())
    for row in report.rejected:
        click.echo(f"{file.name}:{row.line}: rejected: {row.reason}", err=True)


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
