"""One function per mail the provider sends. Each renders the member's language and puts the
message in the outbox of the current transaction; the caller commits it with its change."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale

from ..models import Account, OutboxMessage
from . import outbox


def _render(name: str, locale: str, **context) -> tuple[str, str, str]:
    with force_locale(locale):
        subject = render_template(f"mail/{name}/subject.txt", **context).strip()
        text = render_template(f"mail/{name}/body.txt", **context)
        html = render_template(f"mail/{name}/body.html", **context)
    return " ".join(subject.split()), text, html


def activation(account: Account, link: str, valid_hours: int) -> OutboxMessage:
    subject, text, html = _render(
        "activation", account.locale, account=account, link=link, valid_hours=valid_hours
    )
    return outbox.enqueue("activation", account.email, subject, text, html)


def password_reset(account: Account, link: str, valid_minutes: int) -> OutboxMessage:
    subject, text, html = _render(
        "password_reset", account.locale, account=account, link=link, valid_minutes=valid_minutes
    )
    return outbox.enqueue("password_reset", account.email, subject, text, html)
