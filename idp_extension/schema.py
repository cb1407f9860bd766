"""The provider's schema migrations: where they are, and ``flask idp upgrade-db`` to apply them.

They are the provider's own Alembic history with their own version table
(``idp_alembic_version``), applied beside any migrations of a host application.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from .cli import idp_group
from .db import VERSION_TABLE
from .resources import resource_folder

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where a migration runs: ~10 MB a server worker never uses.

LEGACY_VERSION_TABLE = "alembic_version"


def migrations_folder() -> Path:
    """The Alembic folder: shipped inside the installed package, or the checkout's."""
    return resource_folder("migrations")


def alembic_config() -> Config:
    from alembic.config import Config

    folder = migrations_folder()
    config = Config(str(folder / "alembic.ini"))
    config.set_main_option("script_location", str(folder))
    return config


def upgrade(revision: str = "head") -> None:
    """Bring the provider's tables to ``revision`` (inside an application context)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)


def downgrade(revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(), revision)


def adopt_legacy_version_table(connection: sa.Connection, script) -> None:
    """Databases migrated before the provider had its own version table kept its revision in
    ``alembic_version``: move it (only a revision of ours) to ``idp_alembic_version``, in the
    caller's transaction."""
    tables = set(sa.inspect(connection).get_table_names())
    if VERSION_TABLE in tables or LEGACY_VERSION_TABLE not in tables:
        return
    legacy = sa.table(LEGACY_VERSION_TABLE, sa.column("version_num", sa.String(32)))
    rows = connection.execute(sa.select(legacy.c.version_num)).scalars().all()
    if not rows or not all(_is_ours(script, rev) for rev in rows):
        return
    target = sa.Table(
        VERSION_TABLE,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), primary_key=True),
    )
    target.create(connection)
    connection.execute(target.insert(), [{"version_num": rev} for rev in rows])
    connection.execute(sa.text(f"DROP TABLE {LEGACY_VERSION_TABLE}"))


def _is_ours(script, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - Alembic raises several kinds for a revision it lacks
        return False


@idp_group.command("upgrade-db")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def upgrade_db_command(revision: str) -> None:
    """Create or upgrade the provider's tables (its own migrations and version table)."""
    upgrade(revision)
    click.echo(f"provider database at {revision}")
