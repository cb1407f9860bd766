"""The insurer as pages and mails name it: its name, its help contact, its documents.

Read from IDP_ORGANISATION_NAME, IDP_SUPPORT_URL, IDP_SUPPORT_PHONE, IDP_LEGAL_NOTICE_URL and
IDP_TERMS_URL; templates call ``insurer()`` (a Jinja global), so every page and mail agrees.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for


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
    config = current_app.config
    return Insurer(
        name=config["IDP_ORGANISATION_NAME"],
        support_url=config["IDP_SUPPORT_URL"],
        support_phone=config["IDP_SUPPORT_PHONE"],
        legal_notice_url=config["IDP_LEGAL_NOTICE_URL"] or url_for("enrollment.legal_notice"),
        terms_url=config["IDP_TERMS_URL"] or url_for("enrollment.terms"),
        accessibility_url=url_for("enrollment.accessibility"),
        contact_url=config["IDP_SUPPORT_URL"] or url_for("enrollment.contact"),
    )
