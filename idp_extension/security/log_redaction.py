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


PACKAGE = "idp_extension"
# Loggers that print request lines (the server's own), beside every logger of the package.
SERVER_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "granian.access", "_granian")


def _attach(logger: logging.Logger) -> None:
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


def install() -> None:
    """Attach the filter to the server loggers and to every logger of the package (idempotent).

    A logger's filters do not apply to records of its children, so ``idp_extension`` alone
    would let ``idp_extension.mail.outbox`` through: each module's logger gets the filter.
    Modules imported later call ``install`` again through ``logger_for``.
    """
    for name in SERVER_LOGGERS:
        _attach(logging.getLogger(name))
    for name in list(logging.Logger.manager.loggerDict):
        if name == PACKAGE or name.startswith(PACKAGE + "."):
            _attach(logging.getLogger(name))


def logger_for(name: str) -> logging.Logger:
    """The module's logger, redacting: ``log = logger_for(__name__)``."""
    logger = logging.getLogger(name)
    _attach(logger)
    return logger
