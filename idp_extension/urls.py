"""The provider's public addresses: its issuer and the absolute links it mails or publishes.

``IDP_ISSUER`` is the public base URL the application is served at (with the path it is
mounted under, if any); ``IDP_URL_PREFIX`` is where, inside the application, the provider's
routes live. The issuer is both together, and discovery sits at
``<issuer>/.well-known/openid-configuration``.
"""

from __future__ import annotations

from flask import current_app

from .settings import settings


def issuer() -> str:
    """The ``iss`` of every token and the base of discovery (OIDC Discovery 1.0 section 4)."""
    return settings().issuer


def public_url(endpoint: str, **values) -> str:
    """An absolute link to one of our routes, independent of the current request's host.

    Built from the URL map, not url_for: url_for would add the mount path (SCRIPT_NAME) that
    IDP_ISSUER already names, and a mailed link must not follow the Host header.
    """
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return settings().base_url + path
