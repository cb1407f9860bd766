"""The account page lists the member's live sessions (browser, times, IP, this device) and
signs out every other browser at the press of "Déconnecter mes autres appareils"."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from idp_extension.account.devices import describe_user_agent
from idp_extension.db import db
from idp_extension.models import AuditEvent, SsoSession

from ..conftest import both_databases, csrf_token, page_text
from .helpers import PASSWORD, finished, login, make_account

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87"
)
BUTTON = "Déconnecter mes autres appareils"
EMAIL = "helene@example.org"


def browser(app, user_agent: str, ip_address: str):
    """A browser of its own (cookies, User-Agent, address)."""
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": ip_address})
    return client


def signed_in_browser(app, user_agent: str, ip_address: str):
    client = browser(app, user_agent, ip_address)
    assert login(client, EMAIL, PASSWORD).status_code == 302
    return client


def is_signed_in(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def sessions_section(response) -> str:
    """The text of the "Mes connexions actives" section, tags dropped, spaces folded."""
    text = page_text(response)
    section = text.split('<h2 id="sessions">', 1)[1].split('<h2 id="applications">', 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", section).split())


def press_end_others(client):
    page = client.get("/")
    assert BUTTON in page_text(page)
    return finished(
        client.post(
            "/connexions/deconnecter-les-autres",
            data={"csrf_token": csrf_token(page.get_data(as_text=True))},
        )
    )


def audit(app, name) -> list[AuditEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.id)
            )
        )
        db.session.expunge_all()
        return found


def end_reasons(app, account_id) -> list[str | None]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(SsoSession.end_reason)
                .where(SsoSession.account_id == account_id)
                .order_by(SsoSession.id)
            )
        )


def test_the_page_lists_each_live_session_with_this_device_marked(app, clock, member_account):
    phone = signed_in_browser(app, CHROME_ANDROID, "203.0.113.7")
    clock.advance(minutes=5)
    laptop = signed_in_browser(app, FIREFOX_WINDOWS, "198.51.100.4")
    clock.advance(minutes=2)

    seen_from_laptop = sessions_section(laptop.get("/"))
    # The clock says 09:00 UTC on 1 December: 10:00 in Paris, the insurer's time.
    assert seen_from_laptop.startswith("Mes connexions actives")
    laptop_entry = seen_from_laptop.index("Firefox · Windows (cet appareil)")
    phone_entry = seen_from_laptop.index("Chrome · Android")
    assert laptop_entry < phone_entry  # this device first
    assert (
        "Connecté depuis le 01/12/2026 10:00 Dernière activité 01/12/2026 10:00 "
        "Adresse IP 203.0.113.7" in seen_from_laptop
    )
    assert "Connecté depuis le 01/12/2026 10:05" in seen_from_laptop
    assert "198.51.100.4" in seen_from_laptop
    assert seen_from_laptop.count("(cet appareil)") == 1

    seen_from_phone = sessions_section(phone.get("/"))
    assert "Chrome · Android (cet appareil)" in seen_from_phone
    assert "Firefox · Windows (cet appareil)" not in seen_from_phone
    assert seen_from_phone.count("(cet appareil)") == 1


def test_ended_and_idle_sessions_are_not_listed(app, clock, member_account):
    tablet = signed_in_browser(app, SAFARI_IPHONE, "192.0.2.10")
    assert (
        finished(
            tablet.post(
                "/deconnexion",
                data={"csrf_token": csrf_token(tablet.get("/").get_data(as_text=True))},
            )
        ).status_code
        == 302
    )
    signed_in_browser(app, EDGE_WINDOWS, "192.0.2.11")  # left unused from now on
    clock.advance(seconds=app.config["IDP_SESSION_LIFETIME"] - 60)
    laptop = signed_in_browser(app, FIREFOX_WINDOWS, "198.51.100.4")
    assert "Edge · Windows" in sessions_section(laptop.get("/"))

    clock.advance(seconds=60)  # the Edge session is idle now, though nobody noticed yet
    listed = sessions_section(laptop.get("/"))
    assert "Firefox · Windows (cet appareil)" in listed
    assert "Safari" not in listed and "192.0.2.10" not in listed  # signed out
    assert "Edge" not in listed and "192.0.2.11" not in listed  # idle
    # Nothing else is signed in: no button to sign out other devices.
    assert BUTTON not in page_text(laptop.get("/"))


@both_databases
def test_the_button_signs_out_every_other_browser_and_keeps_this_one(app, clock, member_account):
    phone = signed_in_browser(app, CHROME_ANDROID, "203.0.113.7")
    tablet = signed_in_browser(app, SAFARI_IPHONE, "192.0.2.10")
    laptop = signed_in_browser(app, FIREFOX_WINDOWS, "198.51.100.4")
    # Another member's session is none of this member's business.
    make_account(app, clock, email="autre@example.org", first_name="Paul")
    other = browser(app, EDGE_WINDOWS, "192.0.2.99")
    assert login(other, "autre@example.org", PASSWORD).status_code == 302
    clock.advance(minutes=1)

    response = press_end_others(laptop)
    assert response.status_code == 302
    assert response.headers["Location"] == "/#sessions"

    page = laptop.get("/")  # this browser is still signed in, and told what happened
    assert page.status_code == 200
    assert "Vos autres appareils ont été déconnectés." in page_text(page)
    assert not is_signed_in(phone)
    assert not is_signed_in(tablet)
    assert is_signed_in(other)
    listed = sessions_section(page)
    assert "Firefox · Windows (cet appareil)" in listed
    assert "Chrome" not in listed and "Safari" not in listed
    assert end_reasons(app, member_account) == ["ended_by_member", "ended_by_member", None]

    (event,) = audit(app, "sessions_ended_by_member")
    assert event.account_id == member_account
    assert event.ip_address == "198.51.100.4"
    assert event.details == {"sessions_ended": 2}
    assert len(audit(app, "session_ended")) == 2


def test_pressing_it_alone_changes_nothing_and_says_so(app, member_account):
    laptop = signed_in_browser(app, FIREFOX_WINDOWS, "198.51.100.4")
    page = laptop.get("/")
    response = finished(
        laptop.post(
            "/connexions/deconnecter-les-autres",
            data={"csrf_token": csrf_token(page.get_data(as_text=True))},
        )
    )
    assert response.status_code == 302
    page = laptop.get("/")
    assert page.status_code == 200
    assert "Aucun autre appareil n'était connecté." in page_text(page)
    assert end_reasons(app, member_account) == [None]


def test_without_the_csrf_token_nothing_is_ended(app, member_account):
    phone = signed_in_browser(app, CHROME_ANDROID, "203.0.113.7")
    laptop = signed_in_browser(app, FIREFOX_WINDOWS, "198.51.100.4")
    response = finished(laptop.post("/connexions/deconnecter-les-autres", data={}))
    assert response.status_code == 400
    assert "formulaire n'est plus valide" in page_text(response)
    forged = finished(
        laptop.post("/connexions/deconnecter-les-autres", data={"csrf_token": "forged"})
    )
    assert forged.status_code == 400
    assert is_signed_in(phone) and is_signed_in(laptop)
    assert audit(app, "sessions_ended_by_member") == []


def test_signed_out_the_button_leads_to_the_login_page(app, member_account):
    phone = signed_in_browser(app, CHROME_ANDROID, "203.0.113.7")
    stranger = browser(app, FIREFOX_WINDOWS, "198.51.100.4")
    page = stranger.get("/connexion")
    response = finished(
        stranger.post(
            "/connexions/deconnecter-les-autres",
            data={"csrf_token": csrf_token(page.get_data(as_text=True))},
        )
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    assert is_signed_in(phone)


def test_a_hostile_user_agent_stays_text(app, member_account):
    laptop = signed_in_browser(app, "<script>alert(1)</script>\x07" + "A" * 1000, "198.51.100.4")
    body = laptop.get("/").get_data(as_text=True)
    assert "<script>alert(1)" not in body
    assert "Navigateur inconnu" in sessions_section(laptop.get("/"))


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (FIREFOX_WINDOWS, "Firefox · Windows"),
        (CHROME_ANDROID, "Chrome · Android"),
        (SAFARI_IPHONE, "Safari · iOS"),
        (EDGE_WINDOWS, "Edge · Windows"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Safari/605.1.15",
            "Safari · macOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0",
            "Opera · Linux",
        ),
        ("curl/8.5.0", None),
        ("", None),
        (None, None),
    ],
)
def test_user_agents_read_as_a_browser_and_a_system(user_agent, shown):
    assert describe_user_agent(user_agent) == shown
