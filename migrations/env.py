"""Alembic environment of the provider's own migrations.

Run by ``flask idp upgrade-db`` (any host) and by ``flask db upgrade`` (the standalone app's
Flask-Migrate). Either way the engine is the provider's (``app.extensions["idp"].engine``), the
metadata is the provider's own, and the version table is ``idp_alembic_version``, so a host's
own Alembic history in ``alembic_version`` is never touched.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from idp_extension.db import VERSION_TABLE, db
from idp_extension.schema import adopt_legacy_version_table
from idp_extension.search_index import compared

config = context.config
if config.config_file_name is not None:
    # Keep the application's loggers (and their secret-redacting filters) alive.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

# Autogenerate leaves the database-specific indexes (made by hand in migrations) alone.
CONFIGURE_ARGS = {
    "render_as_batch": True,
    "compare_type": True,
    "version_table": VERSION_TABLE,
    "include_object": compared,
}


def run_migrations_offline():
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        target_metadata=db.metadata,
        literal_binds=True,
        **CONFIGURE_ARGS,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        # No empty revision when autogenerate finds nothing to do.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    engine = current_app.extensions["idp"].engine
    with engine.begin() as connection:
        adopt_legacy_version_table(connection, context.script)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            process_revision_directives=process_revision_directives,
            **CONFIGURE_ARGS,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
