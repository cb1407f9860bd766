"""Helpers for the sign-up journey: a member's form as typed, submitted with its CSRF token."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from idp_extension.db import db
from idp_extension.models import Account, OutboxMessage

from ..conftest import birth_date_fields, csrf_token

SIGN_UP = "/inscription"


def valid_form(**overrides) -> dict[str, str]:
    """What Hélène Lefèvre-Dupont (register: 12345678, 1980-05-17) types, overridable;
    ``birth_date="YYYY-MM-DD"`` fills the three date fields, or override them one by one."""
    if "birth_date" in overrides:
        overrides = {**overrides, **birth_date_fields(overrides.pop("birth_date"))}
    form = {
        "first_name": "Hélène",
        "last_name": "LEFEVRE DUPONT",
        **birth_date_fields("1980-05-17"),
        "member_number": "12345678",
        "email": "helene@example.org",
        "email_confirm": "helene@example.org",
        "country": "FR",
        "phone": "06 12 34 56 78",
        "phone_confirm": "0612345678",
        "accept_terms": "y",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def submit_sign_up(client, **overrides):
    """Open the form, then post it as the browser would (with the page's CSRF token)."""
    page = client.get(SIGN_UP)
    assert page.status_code == 200
    data = valid_form(**overrides)
    data["csrf_token"] = csrf_token(page.get_data(as_text=True))
    return client.post(SIGN_UP, data=data)


def counts(app) -> tuple[int, int]:
    """(accounts, outbox mails) in the database (SMS not counted)."""
    with app.app_context():
        accounts = db.session.scalar(select(func.count()).select_from(Account))
        mails = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.channel == "mail")
        )
        db.session.rollback()
        return accounts, mails


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def labels_in_order(html: str) -> list[str]:
    """The text of every <label> in document order, whitespace collapsed, as read aloud."""
    from html.parser import HTMLParser

    class Labels(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found: list[str] = []
            self.depth = 0

        def handle_starttag(self, tag, attrs):
            if tag == "label":
                self.depth += 1
                self.found.append("")

        def handle_endtag(self, tag):
            if tag == "label":
                self.depth -= 1

        def handle_data(self, data):
            if self.depth:
                self.found[-1] += data

    parser = Labels()
    parser.feed(html)
    return [" ".join(text.split()) for text in parser.found]
