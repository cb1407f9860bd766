"""OpenID Connect endpoints (owned by the oidc work)."""

from flask import Flask


def register(app: Flask) -> None:
    """Register the oidc blueprint and Authlib's server on ``app``."""
