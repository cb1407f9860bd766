"""One function per mail the provider sends. Each renders the member's language and puts the
message in the outbox of the current transaction; the caller commits it with its change.

Templates live in ``templates/mail/<name>/``: ``subject.txt``, ``body.txt`` and ``body.html``,
written in French and wrapped in ``_()``; the member's ``locale`` picks the catalogue.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale

from ..models import Account, OutboxMessage
from ..settings import settings
from . import outbox


def locale_for(account: Account) -> str:
    languages = settings().languages
    return account.locale if account.locale in languages else languages[0]


def render(name: str, locale: str, **context) -> tuple[str, str, str]:
    """Subject (one line), text body and HTML body of ``templates/mail/<name>/`` in ``locale``."""
    with force_locale(locale):
        subject = render_template(f"idp/mail/{name}/subject.txt", **context)
        text = render_template(f"idp/mail/{name}/body.txt", **context)
        html = render_template(f"idp/mail/{name}/body.html", **context)
    return " ".join(subject.split()), text, html


def to_account(name: str, account: Account, **context) -> OutboxMessage:
    """Render mail ``name`` in the account's language and add it to the current transaction."""
    locale = locale_for(account)
    subject, text, html = render(name, locale, account=account, **context)
    return outbox.enqueue(name, account.email, subject, text, html, locale=locale)


def activation(account: Account, link: str, valid_hours: int) -> OutboxMessage:
    return to_account("activation", account, link=link, valid_hours=valid_hours)


def password_reset(account: Account, link: str, valid_minutes: int) -> OutboxMessage:
    return to_account("password_reset", account, link=link, valid_minutes=valid_minutes)


def address_in_use(account: Account, login_link: str, reset_link: str) -> OutboxMessage:
    """To an address's owner: someone tried to sign up with it (the sign-up answer hid that)."""
    return to_account("address_in_use", account, login_link=login_link, reset_link=reset_link)
