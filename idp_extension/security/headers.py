"""Security headers on the provider's responses (DESIGN section 5), never on a host's pages."""

from __future__ import annotations

from flask import request

from ..settings import settings

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def referrer_policy() -> str:
    """``no-referrer`` for pages whose address carries a token (a text part of the path, as in
    activation and reset links), so it reaches no other server nor even our own access logs;
    ``same-origin`` on our other pages: other sites still learn nothing, and our forms' posts
    carry an ``Origin`` that the CSRF check can compare (under no-referrer browsers send
    ``null``). Addresses that match no page get ``no-referrer`` too."""
    if request.url_rule is None:  # no page here: the address may be a mistyped link
        return "no-referrer"
    path_values = (request.view_args or {}).values()
    if any(isinstance(value, str) for value in path_values):
        return "no-referrer"
    return "same-origin"


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", referrer_policy())
    # HSTS when the public address is https, even if a misconfigured proxy hides the scheme
    # (browsers ignore the header on a plain-http answer, RFC 6797 8.1).
    if request.is_secure or settings().base_url.startswith("https://"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    return response
