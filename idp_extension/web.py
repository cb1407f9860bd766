"""What the provider adds to its own routes, and only to them.

Error pages, security headers, CSRF on its forms, request size limits, the language asked in
the URL: registered on the provider's blueprints, so a host application's pages, hooks and
error handlers stay exactly as the host made them. The standalone server owns its whole
application and also applies the error pages and headers app-wide (``scope_application``),
so an address that matches no page still gets them.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request

from . import error_pages, i18n
from .security import csrf, headers

# Provider forms are small; larger bodies are refused (413) before any parsing. Set per
# request, so a host's uploads keep the host's own limits.
MAX_CONTENT_LENGTH = 256 * 1024
MAX_FORM_MEMORY_SIZE = 64 * 1024


def limit_request_size() -> None:
    # Unless a view of ours already set its own (the admin's register upload raises it in a
    # url_value_preprocessor, which runs first).
    config = current_app.config
    if request.max_content_length == config.get("MAX_CONTENT_LENGTH"):
        request.max_content_length = MAX_CONTENT_LENGTH
    if request.max_form_memory_size == config.get("MAX_FORM_MEMORY_SIZE"):
        request.max_form_memory_size = MAX_FORM_MEMORY_SIZE


def scope_blueprint(bp: Blueprint) -> None:
    """Attach the provider's per-request rules to one of its blueprints (once per process)."""
    # First, before the blueprint's own hooks (an admin check, say): the provider's size limit
    # and CSRF check come before anything else, as an app-wide CSRFProtect would.
    first = [limit_request_size, i18n.remember_asked_language, csrf.protect_form]
    bp.before_request_funcs.setdefault(None, [])[:0] = first
    bp.after_request(headers.add_security_headers)
    bp.context_processor(i18n.language_context)
    error_pages.register(bp)


def scope_application(app: Flask) -> None:
    """Standalone only: the application is the provider's, its every answer gets our pages."""
    app.before_request(i18n.remember_asked_language)
    app.after_request(headers.add_security_headers)
    app.context_processor(i18n.language_context)
    error_pages.register(app)
