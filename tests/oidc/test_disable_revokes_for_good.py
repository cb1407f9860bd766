"""Disabling an account or a client through the console revokes its tokens and codes and ends
its sessions; enabling it again resurrects none of them (issue 11 item 5)."""

from __future__ import annotations

import re

import pytest

from idp_extension.db import db
from idp_extension.models.oauth import OAuthClient

from ..conftest import both_databases, csrf_token
from .conftest import Browser, make_account, signed_in
from .test_account_state import exchange, introspect, refresh, userinfo

ADMIN = "admin@mutuelle.test"


def signed_in_admin(app, provider_url) -> Browser:
    """An admin's browser, through both sign-in steps (admins are held to a second factor:
    ``make_account`` gives them an authenticator app, the browser types its code)."""
    make_account(app, email=ADMIN, member_number="99999999", is_admin=True)
    browser = signed_in(Browser(provider_url), ADMIN)
    assert browser.get("/admin/").status_code == 200
    return browser


@pytest.fixture
def admin(app, provider_url):
    return signed_in_admin(app, provider_url)


def press(browser: Browser, page: str, action: str) -> None:
    """Press the console button of ``page`` posting to ``action``, as a browser would."""
    html = browser.get(page).text
    assert f'action="{action}"' in html, f"no button posting to {action} on {page}"
    reply = browser.post(action, data={"csrf_token": csrf_token(html)})
    assert reply.status_code == 302, reply.text[:500]


def client_pk(app, client_id) -> int:
    with app.app_context():
        return db.session.scalars(db.select(OAuthClient.id).filter_by(client_id=client_id)).one()


def assert_dead(relying_party, tokens):
    reply = refresh(relying_party, tokens["refresh_token"])
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"
    assert userinfo(relying_party, tokens["access_token"]).status_code == 401
    assert introspect(relying_party, tokens["access_token"]) == {"active": False}
    assert introspect(relying_party, tokens["refresh_token"]) == {"active": False}


@both_databases
def test_disabled_then_enabled_account_gets_no_token_back(
    app, member, browser, relying_party, admin
):
    signed_in(browser)
    tokens = relying_party.exchange(relying_party.run(browser, relying_party.start()))
    pending = relying_party.run(browser, relying_party.start())  # a code not yet exchanged
    account_page = f"/admin/comptes/{member['id']}"

    press(admin, account_page, f"{account_page}/desactiver")
    # The member's browser is signed out at once.
    assert browser.get("/").status_code == 302
    press(admin, account_page, f"{account_page}/reactiver")

    assert_dead(relying_party, tokens)
    assert exchange(relying_party, pending).json()["error"] == "invalid_grant"
    assert browser.get("/").headers["Location"].startswith("/connexion")
    # The member signs in again and gets new, working tokens.
    signed_in(browser)
    fresh = relying_party.exchange(relying_party.run(browser, relying_party.start()))
    assert userinfo(relying_party, fresh["access_token"]).status_code == 200
    assert refresh(relying_party, fresh["refresh_token"]).status_code == 200


@both_databases
def test_disabled_then_enabled_client_gets_no_token_back(
    app, member, browser, relying_party, admin
):
    signed_in(browser)
    tokens = relying_party.exchange(relying_party.run(browser, relying_party.start()))
    pending = relying_party.run(browser, relying_party.start())
    pk = client_pk(app, relying_party.client.client_id)

    press(admin, "/admin/clients", f"/admin/clients/{pk}/desactiver")
    press(admin, "/admin/clients", f"/admin/clients/{pk}/reactiver")

    assert_dead(relying_party, tokens)
    assert exchange(relying_party, pending).json()["error"] == "invalid_grant"
    # The client works again for what it obtains from now on.
    fresh = relying_party.exchange(relying_party.run(browser, relying_party.start()))
    assert userinfo(relying_party, fresh["access_token"]).status_code == 200


def test_console_audit_names_the_admin_and_the_tokens_revoked(
    app, member, browser, relying_party, admin
):
    signed_in(browser)
    relying_party.exchange(relying_party.run(browser, relying_party.start()))
    account_page = f"/admin/comptes/{member['id']}"
    press(admin, account_page, f"{account_page}/desactiver")
    journal = admin.get("/admin/journal").text
    assert re.search(r"disable_account", journal)
    assert "tokens_revoked=1" in journal
