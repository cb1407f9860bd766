"""``flask idp purge``: delete expired rows that serve no purpose any more."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import clock
from .cli import idp_group, summary
from .maintenance import DEFAULT_KEEP_DAYS, MAX_KEEP_DAYS, purge_expired


@idp_group.command("purge")
@click.option(
    "--keep-days",
    default=DEFAULT_KEEP_DAYS,
    show_default=True,
    type=click.IntRange(min=1, max=MAX_KEEP_DAYS),
    help="Days a row is kept after it stopped being usable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@with_appcontext
def purge(keep_days: int, as_json: bool) -> None:
    """Delete expired codes, tokens, SSO sessions, mailed links and sent mail.

    Each goes KEEP_DAYS after it stopped being usable. Tokens of a grant (refresh token
    family) that is still in use are all kept, so a replayed old refresh token still revokes
    the grant, and a code is kept while tokens issued from it are. After the purge an old
    activation or reset link is unknown ("invalid link"). Failed mail is kept 90 days
    for the admin console. The audit log is never purged: its retention is the insurer's
    legal decision.
    """
    now = clock.now()
    counts = purge_expired(now, keep_days=keep_days)
    line = (
        "purged: codes {codes}, tokens {tokens}, sessions {sessions}, links {links}, mails {mails}"
    ).format(**counts)
    summary(counts, line, as_json)
