"""The standalone server's application factory."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from .config import apply_standalone_defaults, load_environment
from .extension import IdentityProvider
from .oidc.published import FastDocuments

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None, **extension_options) -> Flask:
    """Build the provider: settings from the environment, then ``config`` on top of them."""
    app = Flask(
        "idp_extension",
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        # The extension serves its own files under /assets; no second copy under /static.
        static_folder=None,
    )
    app.config.update(load_environment())
    if config:
        app.config.update(config)
    IdentityProvider(app, **extension_options)
    # The application is the provider's own: its error pages and headers on every answer,
    # its session cookie, and `flask db upgrade` for the provider's migrations.
    apply_standalone_defaults(app)
    from .db import db
    from .schema import migrations_folder
    from .web import scope_application

    scope_application(app)
    migrate = app.extensions["migrate"] = _LazyMigrate(app, db, str(migrations_folder()))
    app.cli.add_command(_MigrateCommands(migrate))
    # The standalone server owns the whole application, so it may answer discovery and JWKS
    # before Flask does (an embedding host keeps its WSGI stack as it is).
    # Flask documents wrapping wsgi_app by assignment; its stubs declare it a method.
    app.wsgi_app = FastDocuments(app.wsgi_app, app)  # type: ignore[method-assign]
    return app


class _LazyMigrate:
    """Flask-Migrate, set up on first use. Importing it imports Alembic, ~10 MB of every server
    worker, which never migrates: ``flask db ...`` and ``flask_migrate.upgrade()`` still work."""

    def __init__(self, app: Flask, db, directory: str):
        self._setup = (app, db, directory)

    def load(self):
        """Flask-Migrate's own state, which from then on replaces this one in ``extensions``."""
        from flask_migrate import Migrate

        app, db, directory = self._setup
        if app.extensions.get("migrate") is self:
            Migrate(app, db, directory=directory)  # also its `db` group, replacing ours
        return app.extensions["migrate"]

    def __getattr__(self, name):
        return getattr(self.load(), name)


class _MigrateCommands(click.Group):
    """``flask db ...``: Flask-Migrate's group, looked up when a command runs."""

    def __init__(self, migrate: _LazyMigrate):
        super().__init__(name="db", help="Database migrations (Flask-Migrate, Alembic).")
        self._migrate = migrate

    def _commands(self) -> click.Group:
        from flask_migrate.cli import db as group

        self._migrate.load()
        return group

    # Parsing and running are Flask-Migrate's group's own (its options, its callback).
    def make_context(self, info_name, args, parent=None, **extra):
        return self._commands().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        return self._commands().invoke(ctx)

    def list_commands(self, ctx):
        return self._commands().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._commands().get_command(ctx, name)
