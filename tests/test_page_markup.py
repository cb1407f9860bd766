"""Markup every page shares: unique ids (two forms on a page must not both say id="submit" or
id="csrf_token": assistive technology and label lookups follow the first one only)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from .account.helpers import PASSWORD, login, make_account


def duplicate_ids(html: str) -> list[str]:
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    return sorted(ident for ident, count in ids.items() if count > 1)


@pytest.fixture
def admin_browser(app, clock):
    make_account(app, clock, email="admin@mutuelle.test", is_admin=True)
    browser = app.test_client()
    assert login(browser, "admin@mutuelle.test", PASSWORD).status_code == 302
    return browser


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/admin/",
        "/admin/comptes",
        "/admin/membres",
        "/admin/clients",
        "/admin/cles",
        "/admin/courriers",
        "/admin/journal",
    ],
)
def test_signed_in_pages_have_unique_ids(admin_browser, path):
    response = admin_browser.get(path)
    assert response.status_code == 200
    assert duplicate_ids(response.get_data(as_text=True)) == []


@pytest.mark.parametrize(
    "path", ["/inscription", "/connexion", "/mot-de-passe-oublie", "/activation/renvoyer"]
)
def test_member_pages_have_unique_ids(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert duplicate_ids(response.get_data(as_text=True)) == []


def test_the_account_page_has_no_duplicate_ids_with_all_its_forms(admin_browser):
    html = admin_browser.get("/").get_data(as_text=True)
    assert html.count('name="csrf_token"') >= 2  # the page holds several forms
    assert 'id="csrf_token"' not in html and 'id="submit"' not in html
