"""Someone at a member's unlocked screen guesses the current password on the profile page: the
guesses count towards the lockout, as on the login page, and are rate limited per IP."""

from __future__ import annotations

import pytest

from ..account.helpers import PASSWORD, login, make_account, post_form
from ..conftest import page_text

NEW_PASSWORD = "Nouveau&Mot2passe"


def change(client, current):
    return post_form(
        client,
        "/mot-de-passe",
        {"current": current, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        page_path="/",
    )


def test_wrong_current_passwords_lock_the_account_like_failed_logins(app, client, clock):
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    for guess in range(app.config["IDP_LOCKOUT_THRESHOLD"]):
        assert change(client, f"Guess#{guess}aaa").status_code == 422

    # Locked: even the right current password changes nothing, and no login gets in.
    refused = change(client, PASSWORD)
    assert refused.status_code == 422
    assert "la connexion à un compte est suspendue pendant 15 minutes" in page_text(refused)
    assert login(app.test_client(), "helene@example.org", PASSWORD).status_code == 422

    clock.advance(seconds=app.config["IDP_LOCKOUT_SECONDS"] + 1)
    assert change(client, PASSWORD).status_code == 302
    assert login(app.test_client(), "helene@example.org", NEW_PASSWORD).status_code == 302


class TestRateLimited:
    @pytest.fixture
    def app_config(self, app_config):
        return {
            **app_config,
            "IDP_RATELIMIT_ENABLED": True,
            "IDP_RATELIMIT_STORAGE_URL": "memory://",
            "IDP_LOGIN_LIMIT_PER_IP": "3 per minute",
            "IDP_LOCKOUT_THRESHOLD": 100,
        }

    def test_password_changes_are_limited_per_ip(self, app, client, clock):
        make_account(app, clock)
        login(client, "helene@example.org", PASSWORD)
        for guess in range(3):
            assert change(client, f"Guess#{guess}aaa").status_code == 422
        limited = change(client, PASSWORD)
        assert limited.status_code == 429
        assert "Trop de tentatives" in page_text(limited)
