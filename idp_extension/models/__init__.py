"""Database models. Models hold no HTTP: they import neither request nor current_app."""

from .account import Account, AccountStatus
from .audit import AuditEvent
from .mail_request import MailRequest
from .member import MemberRecord, MemberStatus
from .outbox import OutboxMessage, OutboxStatus
from .sso_session import SsoSession
from .tokens import OneTimeToken, TokenPurpose

__all__ = [
    "Account",
    "AccountStatus",
    "AuditEvent",
    "MailRequest",
    "MemberRecord",
    "MemberStatus",
    "OneTimeToken",
    "OutboxMessage",
    "OutboxStatus",
    "SsoSession",
    "TokenPurpose",
]

# The OpenID Connect models register themselves with the metadata when imported.
from . import keys, oauth  # noqa: E402,F401
