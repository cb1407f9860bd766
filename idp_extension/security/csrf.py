"""CSRF protection that works over HTTPS behind a proxy and still refuses cross-site posts.

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
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request
from flask_wtf.csrf import CSRFProtect

log = logging.getLogger(__name__)

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


class SameOriginCSRFProtect(CSRFProtect):
    """Flask-WTF's protection plus the origin check, on exactly the views it protects."""

    def protect(self, apply_exemptions: bool = False) -> None:
        super().protect(apply_exemptions)
        # Flask-WTF marks the requests it checked; exempt views (token, userinfo, ...) and safe
        # methods are left alone, as relying parties post to them from their own sites.
        if g.get("csrf_valid"):
            refuse_cross_site(current_app.config["IDP_ISSUER"])


def init_app(app: Flask) -> SameOriginCSRFProtect:
    """Protect every form of ``app``; no Referer demanded over HTTPS."""
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    return SameOriginCSRFProtect(app)
