"""SMTP down during a wave of sign-ups: every member gets the page, no mail lost, none twice."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import insert, select

from idp_extension.db import db
from idp_extension.models import MemberRecord, MemberStatus, OutboxMessage, OutboxStatus

from ..conftest import birth_date_fields, csrf_token, page_text
from ..mailparse import link_labelled
from ..smtp import free_port

SIGN_UPS = 200


@pytest.fixture
def closed_port():
    return free_port()


@pytest.fixture
def app_config(app_config, closed_port):
    # Nothing listens there until the test starts a server: SMTP is down.
    return {**app_config, "IDP_MAIL_PORT": closed_port}


def sign_up_form(number: int, token: str) -> dict[str, str]:
    return {
        "first_name": "Zoé",
        "last_name": f"Adherent{number}",
        **birth_date_fields("1990-01-31"),
        "member_number": f"{50_000_000 + number}",
        "email": f"z{number}@example.org",
        "email_confirm": f"z{number}@example.org",
        "country": "FR",
        "phone": "06 12 34 56 78",
        "phone_confirm": "0612345678",
        "accept_terms": "y",
        "csrf_token": token,
    }


def test_sign_ups_succeed_while_smtp_is_down_and_every_mail_leaves_once_it_is_back(
    app, client, clock, own_smtp, closed_port
):
    with app.app_context():
        db.session.execute(
            insert(MemberRecord),
            [
                {
                    "member_number": f"{50_000_000 + n}",
                    "last_name": f"Adherent{n}",
                    "first_name": "Zoé",
                    "birth_date": date(1990, 1, 31),
                    "status": MemberStatus.ACTIVE,
                }
                for n in range(SIGN_UPS)
            ],
        )
        db.session.commit()

    token = csrf_token(client.get("/inscription").get_data(as_text=True))
    for number in range(SIGN_UPS):
        response = client.post("/inscription", data=sign_up_form(number, token))
        assert response.status_code == 302, page_text(response)
        response.close()  # as the WSGI server does: the request now tries its mail, and fails
    sent_page = client.get(response.location)
    assert sent_page.status_code == 200
    assert "z199@example.org" in page_text(sent_page)

    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert len(rows) == SIGN_UPS
        # Each request tried its own mail once, found the server down, and left it queued
        # without charging it an attempt (the outage is not the message's fault).
        assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.PENDING, 0)}
        assert all("unavailable" in row.last_error for row in rows)
        db.session.rollback()

    server = own_smtp(port=closed_port)
    # No backoff of their own to wait out: they leave as soon as the server is back.
    result = app.test_cli_runner().invoke(args=["idp", "send-mail"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"sent {SIGN_UPS}, retry 0, failed 0"

    received = server.messages
    assert len(received) == SIGN_UPS
    assert max(Counter(m["Message-ID"] for m in received).values()) == 1
    assert sorted(m["To"] for m in received) == sorted(f"z{n}@example.org" for n in range(SIGN_UPS))
    assert all("/activation/" in link_labelled(m, "Activer mon compte") for m in received)

    # A second run finds nothing left to send.
    again = app.test_cli_runner().invoke(args=["idp", "send-mail", "--json"])
    assert again.output.strip() == '{"sent": 0, "retry": 0, "failed": 0}'
    assert len(server.messages) == SIGN_UPS
