"""Database models. Models hold no HTTP: they import neither request nor current_app."""

from .account import Account, AccountStatus
from .audit import AuditEvent
from .mail_request import MailRequest
from .member import MemberRecord, MemberStatus
from .outbox import OutboxChannel, OutboxMessage, OutboxStatus
from .second_factor import (
    PhoneCode,
    PhoneCodePurpose,
    RecoveryCode,
    SecondFactorMethod,
    TotpAuthenticator,
)
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
    "PhoneCode",
    "PhoneCodePurpose",
    "RecoveryCode",
    "SecondFactorMethod",
    "OutboxChannel",
    "OutboxMessage",
    "OutboxStatus",
    "SsoSession",
    "TokenPurpose",
    "TotpAuthenticator",
]

# The OpenID Connect models register themselves with the metadata when imported.
from . import keys, oauth  # noqa: E402,F401
