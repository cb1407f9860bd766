"""Which proxies to believe (DESIGN section 5): ``X-Forwarded-*`` only from configured hops.

With ``IDP_PROXY_FIX = 0`` (the default) no ``X-Forwarded-*`` header is read anywhere: the client
address used by rate limits, the audit log and the demo mailbox's loopback check is the socket's
peer, and the scheme is the one the server itself speaks. With ``N`` hops, the Nth address from
the right of ``X-Forwarded-For`` and the Nth value of ``X-Forwarded-Proto`` are believed
(werkzeug's ProxyFix); nothing a client typed left of what the last N proxies appended counts.
``X-Forwarded-Host``, ``-Port`` and ``-Prefix`` are never read: ``IDP_ISSUER`` names the public
address, so the proxy cannot (and need not) tell the application where it lives.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import ConfigurationError


def proxy_hops(value: object) -> int:
    """The number of trusted proxy hops in ``IDP_PROXY_FIX`` (``True`` reads as one hop)."""
    if isinstance(value, bool):
        return int(value)
    try:
        hops = int(str(value).strip() or 0)
    except ValueError:
        raise ConfigurationError(
            f"IDP_PROXY_FIX must be the number of trusted proxies (0, 1, 2...), got {value!r}"
        ) from None
    if hops < 0:
        raise ConfigurationError("IDP_PROXY_FIX cannot be negative")
    return hops


def init_app(app: Flask) -> None:
    """Believe ``X-Forwarded-For`` and ``-Proto`` from exactly ``IDP_PROXY_FIX`` proxies."""
    hops = proxy_hops(app.config["IDP_PROXY_FIX"])
    app.config["IDP_PROXY_FIX"] = hops
    if hops:
        # Flask documents wrapping wsgi_app by assignment; its stubs declare it a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0
        )
