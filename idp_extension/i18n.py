"""Languages: French by default, English through ?lang=en or the browser's preference.

Templates are written in French (the insurer's language and the contract's labels); the
English catalogue translates them.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request, session
from flask_babel import Babel, get_locale

babel = Babel()


def N_(message: str) -> str:
    """Mark a module-level French text for extraction (``pybabel extract -k N_``) without
    translating it yet: the code that shows it passes it through ``gettext`` at render time."""
    return message


def select_locale() -> str:
    languages = current_app.config["IDP_LANGUAGES"]
    asked = request.args.get("lang") or request.args.get("ui_locales", "").split(" ")[0]
    if asked:
        asked = asked.split("-")[0].lower()
        if asked in languages:
            session["lang"] = asked
            return asked
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def current_language() -> str:
    return str(get_locale() or current_app.config["IDP_LANGUAGES"][0])


def init_app(app: Flask) -> None:
    folder = Path(__file__).resolve().parent / "translations"
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(folder))

    @app.context_processor
    def language_context():
        return {"current_language": current_language(),
                "languages": app.config["IDP_LANGUAGES"]}
