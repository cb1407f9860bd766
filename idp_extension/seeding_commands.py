"""``flask idp seed``: fictitious members and accounts in bulk, for benchmarks and list pages."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .cli import idp_group, summary
from .seeding import MAX_SEEDED, SeedError, seed

# Meets the password policy, so a benchmark or a person can sign in as any seeded account.
DEFAULT_PASSWORD = "Adherent#2026"  # noqa: S105 - the made-up accounts' documented password


@idp_group.command("seed")
@click.option("--members", default=1000, show_default=True, type=click.IntRange(0, MAX_SEEDED))
@click.option(
    "--accounts",
    default=None,
    type=click.IntRange(0, MAX_SEEDED),
    help="Active accounts, for the first members (default: as many as members).",
)
@click.option(
    "--password",
    default=DEFAULT_PASSWORD,
    show_default=True,
    help="The password every seeded account signs in with.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@with_appcontext
def seed_command(members: int, accounts: int | None, password: str, as_json: bool) -> None:
    """Add fictitious members (numbers from 90000000) and active accounts (@seed.example).

    Not for a production register: the rows are made up. Every account shares one argon2id
    hash of PASSWORD, computed once with the configured parameters.
    """
    idp = current_app.extensions["idp"]
    try:
        report = seed(
            members=members,
            accounts=members if accounts is None else accounts,
            password_hash=idp.passwords.hash(password),
            now=idp.clock.now(),
        )
    except SeedError as error:
        raise click.ClickException(str(error)) from None
    summary(report.as_dict(), report.summary(), as_json)
