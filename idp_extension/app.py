"""The standalone server's application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .config import load_environment
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
    # The standalone server owns the whole application, so it may answer discovery and JWKS
    # before Flask does (an embedding host keeps its WSGI stack as it is).
    app.wsgi_app = FastDocuments(app.wsgi_app, app)
    return app
