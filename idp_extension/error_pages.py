"""The provider's one error renderer: every refusal is a readable page with its 4xx status,
never a 500; a JSON client (or a view marked ``answers_json``) gets ``errors.json_error``.

Registered on the provider's blueprints only (``web.scope_blueprint``), or app-wide by the
standalone server: a host application's own error pages stay the host's.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .errors import IdpError, json_error
from .i18n import N_
from .security.log_redaction import logger_for

log = logger_for(__name__)

MESSAGES = {
    400: N_("La demande n'a pas pu être comprise."),
    403: N_("Vous n'avez pas accès à cette page."),
    404: N_("Cette page n'existe pas ou n'existe plus."),
    405: N_("Cette action n'est pas possible sur cette page."),
    413: N_("Les données envoyées sont trop volumineuses."),
    429: N_("Trop de tentatives. Merci de patienter quelques minutes avant de réessayer."),
    500: N_(
        "Le service rencontre un problème de notre côté. Vos données sont en sécurité : "
        "merci de réessayer dans quelques minutes."
    ),
}

# Each page's title and heading, so a person knows at once what happened (and a 404 says so).
TITLES = {
    400: N_("Demande incomprise"),
    403: N_("Accès refusé"),
    404: N_("Page introuvable"),
    405: N_("Action impossible"),
    410: N_("Lien expiré"),
    413: N_("Envoi trop volumineux"),
    429: N_("Trop de tentatives"),
    500: N_("Service momentanément indisponible"),
}

# The ``error`` of an HTTP refusal written as JSON (RFC 6749 5.2 and 4.1.2.1 codes).
HTTP_CODES = {403: "access_denied", 404: "not_found", 429: "temporarily_unavailable"}


def for_programs() -> bool:
    """The view is one read by programs (``errors.answers_json``: the OAuth endpoints)."""
    view = current_app.view_functions.get(_endpoint() or "")
    return getattr(view, "answers_json", False)


def _endpoint() -> str | None:
    """The request's endpoint, or, for a known address asked with another method (405,
    a routing error: no endpoint), the one it would have reached with an allowed method."""
    routing = request.routing_exception
    if request.endpoint is not None or not isinstance(routing, MethodNotAllowed):
        return request.endpoint
    adapter = current_app.create_url_adapter(request)
    if adapter is None or not routing.valid_methods:
        return None
    try:
        endpoint, _values = adapter.match(method=next(iter(routing.valid_methods)))
    except HTTPException:
        return None
    return endpoint


def wants_json() -> bool:
    """A program's request: the view answers JSON, or the client accepts JSON and not HTML."""
    if for_programs():
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def render(
    status: int,
    message: str,
    *,
    code: str | None = None,
    headers=None,
    detail: str | None = None,
    template: str = "idp/errors/error.html",
):
    """The page (or JSON error) for a refusal; ``message`` is already translated.

    An OAuth client reads ``detail`` instead (English, ASCII as RFC 6749 5.2 requires of an
    ``error_description``; the code's default one when None)."""
    headers = dict(headers or {})
    if wants_json():
        if code is None:
            code = "server_error" if status >= 500 else HTTP_CODES.get(status, "invalid_request")
        return json_error(code, detail if for_programs() else message, status, headers)
    title = _(TITLES.get(status, TITLES[400] if status < 500 else TITLES[500]))
    page = render_template(template, status=status, title=title, message=message, detail=detail)
    return page, status, headers


def render_error(status: int, message: str | None = None, detail: str | None = None):
    """The generic page for ``status``, or ``message`` (a French text marked with ``N_``)."""
    return render(status, _(message or MESSAGES.get(status, MESSAGES[400])), detail=detail)


def idp_error(error: IdpError):
    """A typed refusal no view mapped to a page of its own."""
    return render(
        error.status,
        error.describe(),
        code=error.code,
        headers=error.headers(),
        detail=error.detail,
        template=error.template,
    )


def _server_error_page(error: HTTPException, status: int):
    """A human page for a server fault; the bare error if even that page cannot be drawn."""
    try:
        return render_error(status, MESSAGES[500], detail=error.description)
    except Exception:
        log.exception("the error page itself failed")
        return error


def csrf_error(error: CSRFError):
    return render_error(
        400,
        N_(
            "Votre session a expiré ou le formulaire n'est plus valide. "
            "Merci de recharger la page et de recommencer."
        ),
    )


def http_error(error: HTTPException):
    status = error.code or 500
    if status >= 500:
        return _server_error_page(error, status)
    return render_error(status, detail=error.description)


def broken_encoding(error: UnicodeError):
    return render_error(
        400,
        N_("Les données envoyées ne sont pas un texte valide (UTF-8)."),
        detail="The request is not valid UTF-8.",
    )


HANDLERS = (
    (CSRFError, csrf_error),
    (IdpError, idp_error),
    (HTTPException, http_error),
    (UnicodeError, broken_encoding),
)


def register(scaffold: Flask | Blueprint) -> None:
    """Our error pages on a blueprint of ours (or, standalone, on the whole application)."""
    for exception, handler in HANDLERS:
        scaffold.register_error_handler(exception, handler)
