"""The insurer as pages and mails name it: its name, its help contact, its documents.

Read from IDP_ORGANISATION_NAME, IDP_SUPPORT_URL, IDP_SUPPORT_PHONE, IDP_LEGAL_NOTICE_URL and
IDP_TERMS_URL; templates call ``insurer()`` (a Jinja global), so every page and mail agrees.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from .settings import settings


@dataclass(frozen=True)
class Insurer:
    name: str | None  # None: the pages say "Mutuelle Santé", the mails "Votre mutuelle santé"
    support_url: str | None
    support_phone: str | None
    legal_notice_url: str
    terms_url: str
    accessibility_url: str
    contact_url: str

    @property
    def has_contact(self) -> bool:
        return bool(self.support_url or self.support_phone)


def insurer() -> Insurer:
    config = settings()
    return Insurer(
        name=config.organisation_name,
        support_url=config.support_url,
        support_phone=config.support_phone,
        legal_notice_url=config.legal_notice_url or url_for("enrollment.legal_notice"),
        terms_url=config.terms_url or url_for("enrollment.terms"),
        accessibility_url=url_for("enrollment.accessibility"),
        contact_url=config.support_url or url_for("enrollment.contact"),
    )
