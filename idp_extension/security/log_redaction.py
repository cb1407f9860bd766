"""Keep tokens, codes and passwords out of the server's own logs (request lines included)."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    # Token links: /activation/<token>, /mot-de-passe/<token> ...
    (
        re.compile(
            r"(/(?:activation|activate|reset|mot-de-passe-oublie|password-reset)/)[^\s/?\"]+"
        ),
        r"\1[redacted]",
    ),
    # Query and form parameters that carry secrets.
    (
        re.compile(
            r"((?:^|[?&\s])(?:code|token|access_token|refresh_token|id_token|id_token_hint|"
            r"client_secret|password|login_hint)=)[^&\s\"]+"
        ),
        r"\1[redacted]",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrite a record's message with secrets replaced; never drops the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install() -> None:
    """Attach the filter to the loggers that print request lines (idempotent)."""
    for name in (
        "werkzeug",
        "gunicorn.access",
        "gunicorn.error",
        "granian.access",
        "_granian",
        "idp_extension",
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
