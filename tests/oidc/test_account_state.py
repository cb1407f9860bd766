"""What happens to codes and tokens when the member's account or the client changes
(OAuth 2.0 Security BCP 4.14; DESIGN section 5): a disabled account, a password changed
elsewhere, a disabled relying party."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from idp_extension.db import db
from idp_extension.models import Account, AccountStatus
from idp_extension.models.oauth import OAuthClient

from ..conftest import both_databases
from .conftest import signed_in


def refresh(rp, refresh_token):
    return requests.post(
        rp.config["token_endpoint"],
        timeout=10,
        auth=(rp.client.client_id, rp.client.client_secret),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
    )


def userinfo(rp, access_token):
    return requests.get(
        rp.config["userinfo_endpoint"],
        timeout=10,
        headers={"Authorization": f"Bearer {access_token}"},
    )


def introspect(rp, token):
    return requests.post(
        rp.config["introspection_endpoint"],
        timeout=10,
        data={"token": token},
        auth=(rp.client.client_id, rp.client.client_secret),
    ).json()


def exchange(rp, flow):
    """The relying party exchanges the code that came back in ``flow``."""
    return requests.post(
        rp.config["token_endpoint"],
        timeout=10,
        data={
            "grant_type": "authorization_code",
            "code": flow.callback_params()["code"],
            "redirect_uri": rp.client.redirect_uri,
        },
        auth=(rp.client.client_id, rp.client.client_secret),
    )


def disable_account(app, account_id):
    with app.app_context():
        db.session.get(Account, account_id).status = AccountStatus.DISABLED
        db.session.commit()


def change_password(app, account_id, clock):
    """The member changes the password on another device, a minute later."""
    clock.advance(minutes=1)
    with app.app_context():
        db.session.get(Account, account_id).password_changed_at = clock.now()
        db.session.commit()


def disable_client(app, client_id, clock):
    with app.app_context():
        client = db.session.scalars(db.select(OAuthClient).filter_by(client_id=client_id)).one()
        client.disabled_at = clock.now()
        db.session.commit()


def test_a_disabled_account_cannot_refresh_nor_use_its_tokens(app, member, relying_party, tokens):
    disable_account(app, member["id"])
    reply = refresh(relying_party, tokens["refresh_token"])
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"
    assert userinfo(relying_party, tokens["access_token"]).status_code == 401
    assert introspect(relying_party, tokens["access_token"]) == {"active": False}


def test_a_code_of_a_since_disabled_account_is_refused(app, member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start())
    disable_account(app, member["id"])
    reply = exchange(relying_party, flow)
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"


@both_databases
def test_a_password_change_ends_sessions_and_earlier_grants(
    app, member, browser, relying_party, tokens, clock
):
    pending = relying_party.run(browser, relying_party.start())  # a code not yet exchanged
    change_password(app, member["id"], clock)
    # The browser's SSO session ended: no silent code for it.
    reply = browser.get(
        "/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": relying_party.client.client_id,
                "redirect_uri": relying_party.client.redirect_uri,
                "scope": "openid",
                "prompt": "none",
            }
        )
    )
    assert parse_qs(urlsplit(reply.headers["Location"]).query)["error"] == ["login_required"]
    # Refresh tokens and codes issued before the change are refused.
    assert refresh(relying_party, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    late = exchange(relying_party, pending)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    assert userinfo(relying_party, tokens["access_token"]).status_code == 401
    # Signing in with the (new) password gives working tokens again.
    signed_in(browser)
    fresh = relying_party.exchange(relying_party.run(browser, relying_party.start()))
    assert userinfo(relying_party, fresh["access_token"]).status_code == 200
    assert refresh(relying_party, fresh["refresh_token"]).status_code == 200


def test_tokens_of_a_disabled_client_stop_working(app, member, relying_party, tokens, clock):
    disable_client(app, relying_party.client.client_id, clock)
    reply = userinfo(relying_party, tokens["access_token"])
    assert reply.status_code == 401
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
    refused = refresh(relying_party, tokens["refresh_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
