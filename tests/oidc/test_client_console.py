"""A relying party edited and given a new secret through the console, then used over HTTP by a
real OIDC client: the new settings and secret hold at /authorize and /token, the old ones not."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlencode

import pytest

from idp_extension.db import db
from idp_extension.models import AuditEvent
from idp_extension.models.oauth import OAuthClient

from ..conftest import csrf_token
from .conftest import RP_CALLBACK, RelyingParty, signed_in
from .test_account_state import exchange, userinfo
from .test_disable_revokes_for_good import signed_in_admin

ADMIN = "admin@mutuelle.test"
NEW_CALLBACK = "http://localhost:9/portail/retour"


@pytest.fixture
def admin(app, provider_url):
    return signed_in_admin(app, provider_url)


@pytest.fixture
def client_page(app, relying_party):
    with app.app_context():
        pk = db.session.scalars(
            db.select(OAuthClient.id).filter_by(client_id=relying_party.client.client_id)
        ).one()
    return f"/admin/clients/{pk}"


def admin_actions(app):
    with app.app_context():
        return [
            (event.account_id, event.client_id, event.details)
            for event in db.session.scalars(
                db.select(AuditEvent).filter_by(event="admin_action").order_by(AuditEvent.id)
            )
        ]


def test_regenerated_secret_works_and_the_old_one_gets_401(
    app, member, browser, relying_party, admin, client_page
):
    page = admin.get(client_page)
    assert f'action="{client_page}/secret"' in page.text and "Régénérer le secret" in page.text
    confirm = admin.get(f"{client_page}/secret")
    assert confirm.status_code == 200 and "refusé dès maintenant" in confirm.text
    shown = admin.post(f"{client_page}/secret", data={"csrf_token": csrf_token(confirm.text)})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code id="client-secret">([^<]+)</code>', shown.text).group(1)
    assert secret != relying_party.client.client_secret
    # Shown once: the client's page does not carry it.
    assert secret not in admin.get(client_page).text

    signed_in(browser)
    old = exchange(relying_party, relying_party.run(browser, relying_party.start()))
    assert old.status_code == 401 and old.json()["error"] == "invalid_client"

    renewed = RelyingParty(
        relying_party.base, replace(relying_party.client, client_secret=secret), relying_party.clock
    )
    tokens = renewed.exchange(renewed.run(browser, renewed.start()))
    assert userinfo(renewed, tokens["access_token"]).status_code == 200

    admin_id, client_id, details = admin_actions(app)[-1]
    assert details == {"action": "regenerate_client_secret"}
    assert client_id == relying_party.client.client_id and admin_id is not None
    with app.app_context():
        dumped = str([(e.details, e.client_id) for e in db.session.scalars(db.select(AuditEvent))])
    assert secret not in dumped


def test_edited_redirect_uris_hold_at_authorize(
    app, member, browser, relying_party, admin, client_page
):
    form = admin.get(client_page).text
    assert re.search(r'<label class="label" for="redirect_uris">\s*Adresses de retour\s*<', form)
    saved = admin.post(
        client_page,
        data={
            "csrf_token": csrf_token(form),
            "name": "Portail santé",
            "redirect_uris": f"{NEW_CALLBACK}\r\n\r\n",
            "post_logout_uris": "",
            "first_party": "y",
            "scopes": ["openid", "profile"],
        },
    )
    assert saved.status_code == 302
    page = admin.get(client_page).text
    assert "Modifications enregistrées." in page and "Portail santé" in page

    signed_in(browser)
    params = {"response_type": "code", "client_id": relying_party.client.client_id}
    old = browser.get("/authorize?" + urlencode({**params, "redirect_uri": RP_CALLBACK}))
    assert old.status_code == 400 and "Location" not in old.headers
    moved = RelyingParty(
        relying_party.base,
        replace(relying_party.client, redirect_uri=NEW_CALLBACK),
        relying_party.clock,
    )
    tokens = moved.exchange(moved.run(browser, moved.start(scope="openid profile email")))
    assert tokens["scope"].split() == ["openid", "profile"]  # email no longer allowed

    _admin_id, _client_id, details = admin_actions(app)[-1]
    assert details["action"] == "edit_client"
    assert set(details["changed"]) == {
        "name",
        "redirect_uris",
        "post_logout_redirect_uris",
        "scopes",
    }
    assert details["redirect_uris_before"] == [RP_CALLBACK]


@pytest.mark.parametrize(
    "uris, reason",
    [
        ("http://portail.example/cb", "https"),
        ("/callback", "absolute"),
        ("https://portail.example/cb#frag", "fragment"),
        ("", "Indiquez au moins une adresse de retour."),
    ],
)
def test_refused_redirect_uris_change_nothing(app, relying_party, admin, client_page, uris, reason):
    form = admin.get(client_page).text
    reply = admin.post(
        client_page,
        data={
            "csrf_token": csrf_token(form),
            "name": "Autre nom",
            "redirect_uris": uris,
            "scopes": ["openid"],
        },
    )
    assert reply.status_code == 422 and reason in reply.text
    with app.app_context():
        client = db.session.scalars(
            db.select(OAuthClient).filter_by(client_id=relying_party.client.client_id)
        ).one()
        assert client.name == "Portail adhérent" and client.redirect_uris == [RP_CALLBACK]
    assert admin_actions(app) == []
