"""With a pluggable registry (the insurer's core system), a member's status is asked at sign-in
and at refresh, the answer kept IDP_REGISTRY_CACHE_SECONDS (hardening issue, item 6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from idp_extension.models import AccountStatus

from .test_account_state import refresh, userinfo
from .test_membership_ended import SUSPENDED, account_state, login_page_text


@dataclass
class Record:
    member_number: str
    last_name: str
    first_name: str
    birth_date: date
    status: str


class CoreSystemRegistry:
    """The insurer's own registry, as a host would plug it in (here kept in memory)."""

    def __init__(self):
        self.records = {
            "12345678": Record("12345678", "Lefèvre-Dupont", "Hélène", date(1980, 5, 17), "active")
        }
        self.lookups = 0

    def lookup(self, member_number):
        self.lookups += 1
        return self.records.get(member_number)


@pytest.fixture
def core_registry():
    return CoreSystemRegistry()


@pytest.fixture
def extension_options(core_registry):
    return {"registry": core_registry}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_REGISTRY_CACHE_SECONDS": 60}


def test_a_pluggable_registry_is_asked_at_sign_in_and_refresh_cached_briefly(
    app, member, browser, relying_party, tokens, core_registry, clock
):
    core_registry.records["12345678"].status = "terminated"
    # Its answer at sign-in ("active") is still fresh: the refresh works.
    fresh = refresh(relying_party, tokens["refresh_token"])
    assert fresh.status_code == 200, fresh.text
    asked = core_registry.lookups

    clock.advance(seconds=61)
    reply = refresh(relying_party, fresh.json()["refresh_token"])
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"
    assert core_registry.lookups == asked + 1
    assert userinfo(relying_party, fresh.json()["access_token"]).status_code == 401
    assert account_state(app, member["id"]) == (AccountStatus.SUSPENDED, 0)
    assert SUSPENDED in login_page_text(browser)

    # The insurer reinstates the member: the next sign-in after the cache gives access back.
    core_registry.records["12345678"].status = "active"
    clock.advance(seconds=61)
    assert browser.login().status_code == 302
    assert account_state(app, member["id"])[0] == AccountStatus.ACTIVE


def test_a_registry_outage_locks_nobody_out(app, member, browser, core_registry, clock):
    def broken(member_number):
        raise ConnectionError("core system down")

    core_registry.lookup = broken
    assert browser.login().status_code == 302
