"""CSRF on the provider's own forms, checked before their views run, on its routes only.

The provider installs no app-wide ``CSRFProtect``: a host may have its own (then the host's
instance is told to leave the provider's back-channel endpoints alone, see
``exempt_on_host``), and a host's pages are the host's business. Each POST to a provider page
must carry the Flask-WTF token of one of its forms; the endpoints relying parties call from
their servers (token, userinfo, revocation, introspection, JWKS) and the ones they post to
from browsers by the specs (authorize, end-session) carry none and are exempt.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Endpoints a relying party calls without our form's token (the specs say how they are safe).
EXEMPT_ENDPOINTS = frozenset(
    {
        "oidc.authorize",
        "oidc.token",
        "oidc.userinfo",
        "oidc.revoke",
        "oidc.introspect",
        "oidc.jwks",
        "oidc.end_session",
    }
)


def _submitted_token() -> str | None:
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = request.form.get(field)
    if token:
        return token
    for header in current_app.config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"]):
        if request.headers.get(header):
            return request.headers[header]
    return None


def protect_form() -> None:
    """Refuse (400, ``CSRFError``) an unsafe request to a provider page without a valid token."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.method not in UNSAFE_METHODS or request.endpoint in EXEMPT_ENDPOINTS:
        return
    if not g.get("csrf_valid"):  # a host's CSRFProtect may have checked this request already
        try:
            validate_csrf(_submitted_token())
        except ValidationError as error:
            raise CSRFError(error.args[0]) from None
        g.csrf_valid = True


def exempt_on_host(app: Flask, views) -> None:
    """Tell the host's own CSRFProtect, if it has one, not to check the exempt endpoints."""
    host_csrf = app.extensions.get("csrf")
    if host_csrf is None:
        return
    for view in views:
        host_csrf.exempt(view)
