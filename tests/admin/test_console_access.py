"""Every console URL, walked from the app's URL map: a member gets 403 on each, whatever the
method, and an anonymous visitor is sent to the login page; nothing changes."""

from __future__ import annotations

import re

import pytest

from ..account.helpers import PASSWORD, login, make_account
from ..conftest import csrf_token, page_text
from .test_console import admin_actions


def console_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every admin route, any path argument set to an existing-looking 1."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", rule.rule)
        routes += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def test_the_walk_covers_the_console(app):
    paths = {path for _method, path in console_routes(app)}
    for expected in (
        "/admin/",
        "/admin/comptes",
        "/admin/comptes/1",
        "/admin/comptes/1/supprimer",
        "/admin/comptes/1/export",
        "/admin/clients/1",
        "/admin/clients/1/secret",
        "/admin/journal",
        "/admin/journal/export.csv",
    ):
        assert expected in paths
    assert len(console_routes(app)) >= 25


@pytest.fixture
def member(app, clock, admin_id):
    browser = app.test_client()
    make_account(app, clock)  # the member's id is 2: the admin's is 1
    assert login(browser, "helene@example.org", PASSWORD).status_code == 302
    return browser


def test_a_member_gets_403_on_every_console_url(app, member):
    token = csrf_token(member.get("/").get_data(as_text=True))
    for method, path in console_routes(app):
        data = {"csrf_token": token} if method == "POST" else None
        response = member.open(path, method=method, data=data)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "Vous n'avez pas accès à cette page." in page_text(response), (method, path)
    assert admin_actions(app) == []


def test_an_anonymous_visitor_is_sent_to_login_everywhere(app, client, admin_id):
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    for method, path in console_routes(app):
        data = {"csrf_token": token} if method == "POST" else None
        response = client.open(path, method=method, data=data)
        assert response.status_code == 302, (method, path, response.status_code)
        assert response.headers["Location"] == "/connexion", (method, path)
    assert admin_actions(app) == []
