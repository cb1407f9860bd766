"""``flask idp create-admin EMAIL``: give an existing account the admin console."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..cli import idp_group, summary
from . import service


@idp_group.command("create-admin")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_appcontext
def create_admin(email: str, as_json: bool) -> None:
    """Make the account with EMAIL an admin.

    Accounts are only created by the member's own sign-up (proved against the member
    register), so a person without an account signs up first, then this command is run.
    """
    account = service.make_admin(email)
    if account is None:
        summary(
            {"email": email, "admin": False, "error": "no_account"},
            f"No account has the address {email}: the person must first sign up "
            f"(Créer mon espace client) and activate it, then run this command again.",
            as_json,
        )
        raise SystemExit(1)
    summary(
        {
            "email": account.email,
            "account_id": account.id,
            "admin": True,
            "status": account.status.value,
        },
        f"{account.email} is now an admin (account {account.id}, {account.status.value}).",
        as_json,
    )
