"""``flask idp seed``: a register and accounts at benchmark size, usable by a real login."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from idp_extension.db import db
from idp_extension.models import Account, MemberRecord, MemberStatus
from idp_extension.seeding_commands import DEFAULT_PASSWORD

from .account.helpers import login
from .conftest import both_databases


def run_seed(app, *args):
    return app.test_cli_runner().invoke(args=["idp", "seed", *args])


@both_databases
def test_seeded_accounts_sign_in_and_members_are_unique_and_accented(app, client):
    result = run_seed(app, "--members", "120", "--accounts", "100", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["accounts"] == 100

    with app.app_context():
        members = db.session.scalars(select(MemberRecord)).all()
        accounts = db.session.scalars(select(Account)).all()
        assert len(members) == 120 and len(accounts) == 100
        assert len({m.member_number for m in members}) == 120
        assert all(len(m.member_number) == 8 for m in members)
        assert len({a.email for a in accounts}) == len({a.subject for a in accounts}) == 100
        assert any(any(ord(c) > 127 for c in m.last_name + m.first_name) for m in members)
        assert {m.status for m in members} == {MemberStatus.ACTIVE, MemberStatus.TERMINATED}
        # Accounts belong to active register rows, with the register's own name and birth date.
        by_number = {m.member_number: m for m in members}
        for account in accounts:
            record = by_number[account.member_number]
            assert record.status is MemberStatus.ACTIVE
            assert (account.last_name, account.birth_date) == (record.last_name, record.birth_date)
        email = accounts[-1].email

    response = login(client, email, DEFAULT_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_seeding_twice_is_refused_without_writing(app):
    assert run_seed(app, "--members", "10").exit_code == 0
    again = run_seed(app, "--members", "20", "--accounts", "5")
    assert again.exit_code != 0
    assert "already exist" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MemberRecord)) == 10
        assert db.session.scalar(select(func.count()).select_from(Account)) == 10


def test_more_accounts_than_members_is_refused(app):
    result = run_seed(app, "--members", "5", "--accounts", "6")
    assert result.exit_code != 0 and "accounts <= members" in result.output
