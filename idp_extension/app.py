"""The standalone server's application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate

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
    Migrate(app, db, directory=str(migrations_folder()))
    # The standalone server owns the whole application, so it may answer discovery and JWKS
    # before Flask does (an embedding host keeps its WSGI stack as it is).
    # Flask documents wrapping wsgi_app by assignment; its stubs declare it a method.
    app.wsgi_app = FastDocuments(app.wsgi_app, app)  # type: ignore[method-assign]
    return app
