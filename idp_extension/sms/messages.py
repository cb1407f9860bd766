"""One function per SMS the provider sends: rendered in the member's language, put in the
outbox of the current transaction (the caller commits it with its change)."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from ..mail import outbox
from ..mail.messages import locale_for
from ..models import Account, OutboxChannel, OutboxMessage
from ..settings import settings


def organisation_name() -> str:
    return settings().organisation_name or _("Mutuelle Santé")


def phone_code(account: Account, code: str, valid_minutes: int) -> OutboxMessage:
    """The 6-digit code, the insurer's name, and a warning never to pass it on."""
    locale = locale_for(account)
    with force_locale(locale):
        text = _(
            "%(organisation)s : votre code de sécurité est %(code)s. Il est valable "
            "%(minutes)s minutes. Ne le communiquez à personne.",
            organisation=organisation_name(),
            code=code,
            minutes=valid_minutes,
        )
        subject = _("Code de sécurité par SMS")
    return outbox.enqueue(
        "phone_code", account.phone, subject, text, None, locale=locale, channel=OutboxChannel.SMS
    )
