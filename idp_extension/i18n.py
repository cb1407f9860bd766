"""Languages: French by default, English through ?lang=en or the browser's preference.

Templates are written in French (the insurer's language and the contract's labels); the
English catalogue translates them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, request, session
from flask_babel import Babel, get_locale

from .settings import settings


def N_(message: str) -> str:
    """Mark a module-level French text for extraction (``pybabel extract -k N_``) without
    translating it yet: the code that shows it passes it through ``gettext`` at render time."""
    return message


def asked_language() -> str | None:
    """The language the URL asks for: ``?lang=``, else the first supported tag of OpenID's
    ``ui_locales`` (space-separated, by preference; OIDC Core 3.1.2.1)."""
    languages = settings().languages
    tags = [request.args.get("lang", "")] + request.args.get("ui_locales", "").split()
    for tag in tags:
        code = tag.split("-")[0].lower()
        if code in languages:
            return code
    return None


def remember_asked_language() -> None:
    """Keep a language asked in the URL for the rest of the session, even when this request
    renders nothing (``/authorize?ui_locales=en`` redirects straight to the login page)."""
    asked = asked_language()
    if asked and session.get("lang") != asked:
        session["lang"] = asked


def select_locale() -> str:
    languages = settings().languages
    chosen = asked_language() or session.get("lang")
    if isinstance(chosen, str) and chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def current_language() -> str:
    return str(get_locale() or settings().languages[0])


def init_app(app: Flask) -> None:
    """Our catalogue and language choice; a host's own Flask-Babel keeps its locale selector and
    gets our catalogue beside its own."""
    folder = str(Path(__file__).resolve().parent / "translations")
    host_babel = app.extensions.get("babel")
    if host_babel is None:
        # One Babel per application: Flask-Babel caches catalogues in its instance's domain.
        Babel(app, locale_selector=select_locale, default_translation_directories=folder)
    elif folder not in host_babel.translation_directories:
        host_babel.translation_directories.append(folder)


def language_context() -> dict:
    return {
        "current_language": current_language(),
        "languages": settings().languages,
        "language_url": language_url,
    }


def language_url(lang: str) -> str:
    """This page in another language, keeping its parameters (a pending authorization's)."""
    kept = [
        (key, value)
        for key, value in request.args.items(multi=True)
        if key not in ("lang", "ui_locales")
    ]
    return f"{request.path}?{urlencode([*kept, ('lang', lang)])}"
