"""Fixtures of the admin console: an admin and a member, each in their own browser."""

import pytest

from ..account.helpers import PASSWORD, login, make_account


@pytest.fixture
def admin_id(app, clock):
    return make_account(
        app,
        clock,
        email="admin@mutuelle.test",
        is_admin=True,
        first_name="Alice",
        last_name="Admin",
    )


@pytest.fixture
def admin_browser(app, admin_id):
    browser = app.test_client()
    assert login(browser, "admin@mutuelle.test", PASSWORD).status_code == 302
    return browser
