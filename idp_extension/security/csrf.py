"""CSRF protection on the provider's own forms, over HTTPS behind a proxy too, refusing
cross-site posts; checked before their views run, on the provider's routes only.

Three checks, each enough on its own against a browser that implements it:

1. Flask-WTF's token, tied to the session cookie;
2. the session cookie is ``SameSite=Lax`` (config.py), so a cross-site POST arrives without it;
3. the browser's own word on where the request comes from: ``Sec-Fetch-Site`` (Fetch Metadata)
   must be ``same-origin`` when sent, and ``Origin``, when sent, must be the issuer's origin.

Flask-WTF's "SSL strict" check is switched off: it wants a ``Referer`` on every HTTPS POST, and
our pages send none (``Referrer-Policy``, headers.py), so every form failed over HTTPS. The Origin
header says the same thing without the URL. Pages whose address carries a token keep
``no-referrer``; a browser then sends ``Origin: null`` with their forms, which names no site and
is judged by ``Sec-Fetch-Site`` and the token alone.

The provider installs no app-wide ``CSRFProtect``: a host may have its own (the host's instance
is then told to leave the provider's relying-party endpoints alone, ``exempt_on_host``), and a
host's pages are the host's business. Endpoints a relying party calls without our form's token
(authorize, token, userinfo, revocation, introspection, JWKS, end-session) are exempt, as the
specs require.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from ..settings import settings
from .log_redaction import logger_for

log = logger_for(__name__)

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
DEFAULT_PORTS = {"http": 80, "https": 443}
# Sec-Fetch-Site values of a request our own pages can make ("none": the member's own action,
# such as reloading a page after a POST).
OWN_SITE = {"same-origin", "none"}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` as a browser writes it in ``Origin`` (RFC 6454 6.1)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def refuse_cross_site(issuer: str) -> None:
    """Abort with 403 when the browser says this request was made by another site's page."""
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if site is not None and site not in OWN_SITE:
        reason = f"Sec-Fetch-Site {site}"
    elif origin is not None and origin != "null" and origin_of(origin) != origin_of(issuer):
        reason = "a foreign Origin"
    else:
        return
    # The endpoint, not the path: a path may carry a token (/activation/<token>).
    log.warning("refused a cross-site %s to %s (%s)", request.method, request.endpoint, reason)
    abort(403)


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
    """Refuse an unsafe request to a provider page without a valid token (400, ``CSRFError``)
    or made by another site's page (403); no Referer demanded over HTTPS."""
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
    refuse_cross_site(settings().base_url)


def exempt_on_host(app: Flask, views) -> None:
    """Tell the host's own CSRFProtect, if it has one, not to check the exempt endpoints."""
    host_csrf = app.extensions.get("csrf")
    if host_csrf is None:
        return
    for view in views:
        host_csrf.exempt(view)
