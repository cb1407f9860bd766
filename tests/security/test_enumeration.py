"""Whether an address has an account must not show in the forgotten-password and new-link
answers: not in their status, body or size, nor in their timing. Writing a token and a mail
takes milliseconds an unknown address would not spend, so the request only records the address
(the same work for every address) and the mail worker does the rest: neither the answer nor the
next one on a kept-alive connection waits for it (see test_enumeration_timing.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from idp_extension.db import db
from idp_extension.models import AccountStatus, AuditEvent, OneTimeToken, OutboxMessage

from ..account.helpers import make_account
from ..conftest import both_databases, csrf_token, deliver_mail

# Same length, so that equal answers are also equal in size.
KNOWN, PENDING, NOBODY = "known@example.org", "pendg@example.org", "nobod@example.org"


def written(app) -> tuple[int, int, int]:
    with app.app_context():
        counted = tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (OneTimeToken, OutboxMessage, AuditEvent)
        )
        db.session.rollback()
    return counted


@both_databases
@pytest.mark.parametrize("path", ["/mot-de-passe-oublie", "/activation/renvoyer"])
def test_the_answer_is_the_same_and_leaves_before_any_work(app, client, clock, smtp, path):
    make_account(app, clock, email=KNOWN)
    make_account(app, clock, email=PENDING, status=AccountStatus.PENDING)
    token = csrf_token(client.get(path).get_data(as_text=True))
    answers = {}
    for email in (KNOWN, PENDING, NOBODY):
        before = written(app)
        response = client.post(path, data={"csrf_token": token, "email": email})
        body = response.get_data(as_text=True)
        # The answer is complete, yet nothing was written: it did not wait for the work.
        assert written(app) == before
        response.close()
        # Nor does the connection do it once the answer has left: the worker will.
        assert written(app) == before
        answers[email] = (response.status_code, body.replace(email, "EMAIL"))
    assert len(set(answers.values())) == 1
    assert next(iter(answers.values()))[0] == 200

    # The worker's pass: the member it concerns gets the mail, and only them.
    assert smtp.messages == []
    deliver_mail(app)
    expected = KNOWN if path == "/mot-de-passe-oublie" else PENDING
    assert [message["To"] for message in smtp.messages] == [expected]
