"""``flask idp demo``: sample members, the demo portal's client, the mailbox."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..cli import idp_group, summary
from .service import DEFAULT_PORTAL_URL, SAMPLE_MEMBERS, DemoSetupError, prepare_demo


@idp_group.command("demo")
@click.option(
    "--portal-url",
    default=DEFAULT_PORTAL_URL,
    show_default=True,
    help="Where the demo member portal runs (its callback and logout return there).",
)
@click.option(
    "--members",
    "members_csv",
    default=str(SAMPLE_MEMBERS),
    show_default=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Members to import (CSV).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the portal's secret).")
@with_appcontext
def demo_command(portal_url: str, members_csv: str, as_json: bool) -> None:
    """Set up the demo: members, the demo portal as a client (new secret each run)."""
    from pathlib import Path

    try:
        setup = prepare_demo(members_csv=Path(members_csv), portal_url=portal_url)
    except DemoSetupError as error:
        raise click.ClickException(str(error)) from None
    from .. import urls

    issuer = urls.issuer()
    data = {
        "members_imported": setup.members_imported,
        "members_rejected": setup.members_rejected,
        "client_id": setup.client_id,
        "client_secret": setup.client_secret,
        "client_created": setup.client_created,
        "portal_url": setup.portal_url,
        "issuer": issuer,
        "mailbox_url": f"{issuer}/demo/mailbox",
    }
    # Like create-client, the secret is printed once: only its digest is kept.
    line = (
        f"demo ready: {setup.members_imported} members "
        f"({setup.members_rejected} rows rejected); portal {setup.portal_url} "
        f"client_id={setup.client_id} client_secret={setup.client_secret} "
        f"({'created' if setup.client_created else 'new secret'}); "
        f"mailbox {issuer}/demo/mailbox"
    )
    summary(data, line, as_json)
