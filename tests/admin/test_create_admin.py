"""``flask idp create-admin EMAIL``."""

import json

from sqlalchemy import select

from idp_extension.db import db
from idp_extension.models import Account, AuditEvent

from ..account.helpers import PASSWORD, login, make_account
from ..second_factor import give_authenticator


def test_makes_an_existing_account_admin(app, clock):
    account_id = make_account(app, clock)
    result = app.test_cli_runner().invoke(args=["idp", "create-admin", "Helene@Example.org"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"helene@example.org is now an admin (account {account_id}, active).\n"
    )
    with app.app_context():
        assert db.session.get(Account, account_id).is_admin
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.event == "admin_action"))
        assert event.details["action"] == "grant_admin"
    browser = app.test_client()
    login(browser, "helene@example.org", PASSWORD)
    # The new admin sets up a second factor first (tests/mfa), then reaches the console.
    assert browser.get("/admin/").headers["Location"] == "/securite"
    give_authenticator(app, account_id)
    login(browser, "helene@example.org", PASSWORD)
    assert browser.get("/admin/").status_code == 200


def test_json_output(app, clock):
    account_id = make_account(app, clock)
    result = app.test_cli_runner().invoke(
        args=["idp", "create-admin", "helene@example.org", "--json"]
    )
    assert json.loads(result.output) == {
        "email": "helene@example.org",
        "account_id": account_id,
        "admin": True,
        "status": "active",
    }


def test_unknown_address_says_how_to_get_an_account(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["idp", "create-admin", "nobody@example.org"])
    assert result.exit_code == 1
    assert "No account has the address nobody@example.org" in result.output
    assert "sign up" in result.output
    result = runner.invoke(args=["idp", "create-admin", "nobody@example.org", "--json"])
    assert json.loads(result.output)["error"] == "no_account"
    with app.app_context():
        assert db.session.scalars(select(Account)).first() is None
