"""Error pages: every client error is a readable page with its 4xx status, never a 500."""

from __future__ import annotations

import math

from flask import Blueprint, Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .i18n import N_
from .security.log_redaction import logger_for
from .security.ratelimit import TooManyAttemptsError

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


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


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


def render_error(status: int, message: str | None = None, retry_after: int | None = None):
    text = _(message or MESSAGES.get(status, MESSAGES[400]))
    if status == 429 and retry_after:
        minutes = max(1, math.ceil(retry_after / 60))
        text = ngettext(
            "Trop de tentatives. Merci de réessayer dans %(num)d minute.",
            "Trop de tentatives. Merci de réessayer dans %(num)d minutes.",
            minutes,
        )
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    if wants_json():
        return {"error": "request_error", "error_description": text}, status, headers
    title = _(TITLES.get(status, TITLES[400] if status < 500 else TITLES[500]))
    page = render_template("errors/error.html", status=status, title=title, message=text)
    return page, status, headers


def _server_error_page(error: HTTPException, status: int):
    """A human page for a server fault; the bare error if even that page cannot be drawn."""
    try:
        return render_error(status, MESSAGES[500])
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


def too_many(error: TooManyAttemptsError):
    return render_error(429, retry_after=error.retry_after)


def http_error(error: HTTPException):
    status = error.code or 500
    if status >= 500:
        return _server_error_page(error, status)
    return render_error(status)


def broken_encoding(error: UnicodeError):
    return render_error(400, N_("Les données envoyées ne sont pas un texte valide (UTF-8)."))


HANDLERS = (
    (CSRFError, csrf_error),
    (TooManyAttemptsError, too_many),
    (HTTPException, http_error),
    (UnicodeError, broken_encoding),
)


def register(scaffold: Flask | Blueprint) -> None:
    """Our error pages on a blueprint of ours (or, standalone, on the whole application)."""
    for exception, handler in HANDLERS:
        scaffold.register_error_handler(exception, handler)
