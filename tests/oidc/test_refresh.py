"""Refresh tokens (RFC 6749 section 6): rotation, and reuse revoking the whole family
(OAuth 2.0 Security BCP 4.14.2; OpenID Config OP: oidcc-refresh-token)."""

from __future__ import annotations

import requests

from idp_extension.db import db
from idp_extension.models import AuditEvent

from ..conftest import both_databases
from .conftest import signed_in


def refresh(rp, refresh_token, **extra):
    return requests.post(
        rp.config["token_endpoint"],
        timeout=10,
        auth=(rp.client.client_id, rp.client.client_secret),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, **extra},
    )


def userinfo_status(rp, access_token):
    return requests.get(
        rp.config["userinfo_endpoint"],
        timeout=10,
        headers={"Authorization": f"Bearer {access_token}"},
    ).status_code


@both_databases
def test_refresh_rotates_and_reuse_revokes_the_family(app, member, browser, relying_party):
    signed_in(browser)
    first = relying_party.exchange(relying_party.run(browser, relying_party.start()))
    second = refresh(relying_party, first["refresh_token"])
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == first["scope"]
    third = refresh(relying_party, second["refresh_token"]).json()
    assert userinfo_status(relying_party, third["access_token"]) == 200

    # The first refresh token was already rotated: someone replays a stolen copy.
    replay = refresh(relying_party, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert userinfo_status(relying_party, third["access_token"]) == 401
    assert refresh(relying_party, third["refresh_token"]).json()["error"] == "invalid_grant"
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent.event)).all()
    assert "refresh_reuse_detected" in events


def test_refresh_may_narrow_but_not_widen_the_scope(member, browser, relying_party):
    signed_in(browser)
    token = relying_party.exchange(
        relying_party.run(browser, relying_party.start(scope="openid email"))
    )
    wider = refresh(relying_party, token["refresh_token"], scope="openid email member")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    narrower = refresh(relying_party, token["refresh_token"], scope="openid")
    assert narrower.status_code == 200 and narrower.json()["scope"] == "openid"


def test_refresh_token_expires(member, browser, relying_party, clock):
    signed_in(browser)
    token = relying_party.exchange(relying_party.run(browser, relying_party.start()))
    clock.advance(days=30, seconds=1)
    reply = refresh(relying_party, token["refresh_token"])
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"


def test_refresh_token_of_another_client_is_refused(
    member, browser, relying_party, register_client, provider_url, clock
):
    from .conftest import RelyingParty

    signed_in(browser)
    token = relying_party.exchange(relying_party.run(browser, relying_party.start()))
    other = RelyingParty(provider_url, register_client(name="Autre"), clock)
    assert refresh(other, token["refresh_token"]).json()["error"] == "invalid_grant"
    # The rightful client can still use it.
    assert refresh(relying_party, token["refresh_token"]).status_code == 200


def test_a_narrowed_refresh_keeps_the_refresh_token_scope(member, browser, relying_party):
    """RFC 6749 6: the new refresh token's scope is the one originally granted."""
    signed_in(browser)
    token = relying_party.exchange(
        relying_party.run(browser, relying_party.start(scope="openid email phone"))
    )
    narrow = refresh(relying_party, token["refresh_token"], scope="openid email").json()
    assert narrow["scope"] == "openid email"
    info = requests.get(
        relying_party.config["userinfo_endpoint"],
        timeout=10,
        headers={"Authorization": f"Bearer {narrow['access_token']}"},
    ).json()
    assert "phone_number" not in info and info["email"] == "helene@example.fr"
    # Omitted scope means the one originally granted, and it may be asked for again.
    again = refresh(relying_party, narrow["refresh_token"]).json()
    assert again["scope"] == "openid email phone"
    wide = refresh(relying_party, again["refresh_token"], scope="openid phone")
    assert wide.status_code == 200 and wide.json()["scope"] == "openid phone"
    beyond = refresh(relying_party, wide.json()["refresh_token"], scope="openid member")
    assert beyond.json()["error"] == "invalid_scope"
