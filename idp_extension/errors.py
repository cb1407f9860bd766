"""One error model: typed errors that carry a stable ``code`` and an HTTP ``status``.

Services raise an ``IdpError`` subclass. A view that has a page of its own for it (the sign-up
form, an expired activation link) maps it there with the error's status; anything else reaches
the provider's one HTML renderer (``error_pages``, registered on the provider's blueprints
only). Every JSON error of the provider, OAuth or not, is written by ``json_error``: the
RFC 6749 section 5.2 shape, never cached.

>>> class LinkExpiredError(IdpError):
...     code, status = "link_expired", 410
...     message = N_("Ce lien a expiré.")
"""

from __future__ import annotations

from flask import Response, json
from flask_babel import gettext

from .i18n import N_

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# What an OAuth error means when the code that raised it gave no description.
DEFAULT_DESCRIPTIONS = {
    "invalid_request": "The request is missing a parameter or is malformed.",
    "invalid_client": "Client authentication failed.",
    "invalid_grant": "The grant is invalid, expired, revoked or was issued to another client.",
    "unauthorized_client": "The client may not use this grant type.",
    "unsupported_grant_type": "The grant type is not supported.",
    "invalid_scope": "The scope is invalid or exceeds the granted scope.",
    "invalid_token": "The access token is invalid, expired or revoked.",
    "insufficient_scope": "The access token does not cover this request.",
    "access_denied": "Access denied.",
    "not_found": "Nothing is served at this address.",
    "temporarily_unavailable": "Too many requests: retry later.",
    "server_error": "The server failed to answer this request.",
}


class IdpError(Exception):
    """A refusal the provider answers with ``status``; ``code`` is stable for machines,
    ``message`` a French text (translated when shown) for people, ``detail`` an optional
    English one for developers; ``template`` is the page that shows them."""

    code: str = "invalid_request"
    status: int = 400
    message: str = N_("La demande n'a pas pu être comprise.")
    detail: str | None = None
    template: str = "idp/errors/error.html"

    def describe(self) -> str:
        """The message in the request's language."""
        return gettext(self.message)

    def headers(self) -> dict[str, str]:
        """Response headers this refusal needs (``Retry-After``...)."""
        return {}


def json_error(
    code: str, description: str | None = None, status: int = 400, headers=None
) -> Response:
    """RFC 6749 5.2: ``{"error", "error_description"}``, never cached (5.1); ``headers`` adds
    e.g. the ``WWW-Authenticate`` challenge of a 401 (RFC 6749 5.2, RFC 6750 3)."""
    body = {"error": code, "error_description": description or _default_description(code)}
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers.update(NO_STORE)
    for name, value in dict(headers or {}).items():
        response.headers[name] = value
    return response


def _default_description(code: str) -> str:
    return DEFAULT_DESCRIPTIONS.get(code, code.replace("_", " ").capitalize() + ".")


def answers_json(view):
    """Mark a view read by programs, not people: its every error, an HTTP one included (405,
    413, broken encoding), is written by ``json_error`` rather than drawn as a page."""
    view.answers_json = True
    return view
