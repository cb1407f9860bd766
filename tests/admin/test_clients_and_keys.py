"""The console's relying-party and signing-key pages: who may use them, and what they change."""

import base64
import re

import pytest
from sqlalchemy import func, select

from idp_extension.db import db
from idp_extension.models import AuditEvent
from idp_extension.models.keys import SigningKey
from idp_extension.models.oauth import OAuthClient

from ..account.helpers import PASSWORD, login, make_account
from ..conftest import both_databases, csrf_token, page_text
from .test_console import admin_actions, press

PAGES = ["/admin/clients", "/admin/cles"]
POSTS = [
    "/admin/clients",
    "/admin/clients/1/desactiver",
    "/admin/clients/1/reactiver",
    "/admin/cles/rotation",
]
NEW_CLIENT = {
    "name": "Portail adhérents",
    "redirect_uris": "https://portail.mutuelle.test/callback\r\n\r\nhttp://localhost:5000/cb\r\n",
    "post_logout_uris": "https://portail.mutuelle.test/au-revoir",
    "auth_method": "client_secret_basic",
    "scopes": ["openid", "email", "member"],
}


def client_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OAuthClient))


def revoke_status(browser, client_id, secret):
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = browser.post(
        "/revoke",
        data={"token": "not-a-token-of-anyone"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    return response.status_code, response.get_json()


def shown(text, element_id):
    """The text of ``<code id=element_id>`` in a page, or None when the page has none."""
    found = re.search(f'<code id="{element_id}">([^<]*)<', text)
    return found.group(1) if found else None


def register(browser, **changes):
    response = press(browser, "/admin/clients", "/admin/clients", {**NEW_CLIENT, **changes})
    text = page_text(response)
    return response, shown(text, "client-id"), shown(text, "client-secret")


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitor_is_sent_to_login_and_back(client, admin_id, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    assert login(client, "admin@mutuelle.test", PASSWORD).headers["Location"] == path


@pytest.mark.parametrize("path", POSTS)
def test_anonymous_post_is_sent_to_login_and_changes_nothing(app, client, path):
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    response = client.post(path, data={**NEW_CLIENT, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    assert client_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SigningKey)) == 0


@pytest.mark.parametrize("path", PAGES)
def test_member_without_admin_rights_gets_403(app, client, clock, path):
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", POSTS)
def test_member_cannot_post_client_or_key_actions(app, client, clock, path):
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post(path, data={**NEW_CLIENT, "csrf_token": token}).status_code == 403
    assert client_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SigningKey)) == 0


def test_console_menu_links_to_clients_and_keys(admin_browser):
    page = page_text(admin_browser.get("/admin/"))
    assert '<a href="/admin/clients">Applications clientes</a>' in page
    assert '<a href="/admin/cles">Clés de signature</a>' in page


@both_databases
def test_created_client_secret_is_shown_once_and_authenticates(app, admin_browser, admin_id):
    response, client_id, secret = register(admin_browser)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert client_id and secret and len(secret) >= 32
    assert "il n'est pas conservé et ne sera plus jamais affiché" in page_text(response)

    assert revoke_status(admin_browser, client_id, secret)[0] == 200
    status, body = revoke_status(admin_browser, client_id, secret + "x")
    assert status == 401 and body["error"] == "invalid_client"

    listing = page_text(admin_browser.get("/admin/clients"))
    assert client_id in listing and "Portail adhérents" in listing
    assert "https://portail.mutuelle.test/callback" in listing
    assert "http://localhost:5000/cb" in listing
    assert "https://portail.mutuelle.test/au-revoir" in listing
    assert "openid email member" in listing
    assert "client_secret_basic" in listing and "confidentiel" in listing
    assert secret not in listing

    with app.app_context():
        stored = db.session.scalar(select(OAuthClient).filter_by(client_id=client_id))
        assert stored.redirect_uris == [
            "https://portail.mutuelle.test/callback",
            "http://localhost:5000/cb",
        ]
        assert stored.client_secret_digest and secret not in stored.client_secret_digest
        audit_dump = " ".join(str(e.details) for e in db.session.scalars(select(AuditEvent)))
        assert secret not in audit_dump
        event = db.session.scalars(
            select(AuditEvent).filter_by(event="admin_action").order_by(AuditEvent.id.desc())
        ).first()
        assert event.details["action"] == "create_client" and event.client_id == client_id
        assert event.account_id == admin_id


def test_public_client_gets_no_secret(app, admin_browser):
    response, client_id, secret = register(admin_browser, public="y", first_party="y")
    assert response.status_code == 200 and client_id and secret is None
    assert "Client public" in page_text(response)
    with app.app_context():
        stored = db.session.scalar(select(OAuthClient).filter_by(client_id=client_id))
        assert stored.is_public and stored.first_party
        assert stored.token_endpoint_auth_method == "none"
        assert stored.client_secret_digest is None


@pytest.mark.parametrize(
    "uris, reason",
    [
        ("http://portail.mutuelle.test/callback", "redirect URI must use https"),
        ("https://portail.mutuelle.test/cb#fragment", "must not have a fragment"),
        ("portail.mutuelle.test/callback", "absolute http(s) URL"),
    ],
)
def test_refused_redirect_uri_is_explained_and_nothing_is_saved(app, admin_browser, uris, reason):
    response, client_id, secret = register(admin_browser, redirect_uris=uris)
    assert response.status_code == 422 and client_id is None and secret is None
    text = page_text(response)
    assert "Cette application ne peut pas être enregistrée" in text and reason in text
    assert client_count(app) == 0
    assert admin_actions(app) == []


def test_missing_fields_and_missing_csrf_are_refused(app, admin_browser):
    response, _, _ = register(admin_browser, name="", redirect_uris="")
    assert response.status_code == 422
    text = page_text(response)
    assert "Indiquez le nom de l'application." in text
    assert "Indiquez au moins une adresse de retour." in text
    assert admin_browser.post("/admin/clients", data=NEW_CLIENT).status_code == 400
    assert client_count(app) == 0


@both_databases
def test_disabled_client_is_refused_until_enabled_again(app, admin_browser):
    _, client_id, secret = register(admin_browser)
    with app.app_context():
        pk = db.session.scalar(select(OAuthClient.id).filter_by(client_id=client_id))

    response = press(admin_browser, "/admin/clients", f"/admin/clients/{pk}/desactiver")
    assert response.status_code == 302
    assert "L'application Portail adhérents est désactivée." in page_text(
        admin_browser.get("/admin/clients")
    )
    status, body = revoke_status(admin_browser, client_id, secret)
    assert status == 401 and body["error"] == "invalid_client"

    press(admin_browser, "/admin/clients", f"/admin/clients/{pk}/reactiver")
    assert revoke_status(admin_browser, client_id, secret)[0] == 200
    actions = [a["action"] for a in admin_actions(app)]
    assert actions == ["create_client", "disable_client", "enable_client"]


@both_databases
@pytest.mark.parametrize("pk", ["9999", "99999999999"])
def test_unknown_client_action_is_explained(admin_browser, pk):
    token = csrf_token(admin_browser.get("/admin/clients").get_data(as_text=True))
    response = admin_browser.post(f"/admin/clients/{pk}/desactiver", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Cet élément n'existe pas ou plus." in page_text(admin_browser.get("/admin/clients"))


@both_databases
def test_rotating_keys_from_the_console(app, admin_browser):
    first_kid = admin_browser.get("/jwks.json").get_json()["keys"][0]["kid"]
    before = page_text(admin_browser.get("/admin/cles"))
    assert first_kid in before and "active" in before

    response = press(admin_browser, "/admin/cles", "/admin/cles/rotation")
    assert response.status_code == 302

    published = admin_browser.get("/jwks.json").get_json()["keys"]
    assert len(published) == 2
    kids = [k["kid"] for k in published]
    assert first_kid in kids
    with app.app_context():
        (new_kid,) = [k.kid for k in db.session.scalars(select(SigningKey)) if k.kid != first_kid]
    assert new_kid in kids
    page = page_text(admin_browser.get("/admin/cles"))
    # Published first, signing once every cached JWKS has it (tests/oidc/test_key_rotation.py).
    assert f"Nouvelle clé publiée : {new_kid}. Elle signera à partir du" in page
    assert "publiée" in page and "active" in page
    action = admin_actions(app)[-1]
    assert action["action"] == "rotate_signing_keys"
    assert action["created"] == [new_kid] and action["retired"] == [first_kid]


def test_rotation_without_csrf_is_refused(app, admin_browser):
    assert admin_browser.post("/admin/cles/rotation").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SigningKey)) == 0


@both_databases
def test_a_client_whose_audit_row_cannot_be_written_is_not_registered(app, admin_id, monkeypatch):
    """The client and the admin's audit row land in one commit: without the row, no client."""
    from idp_extension.admin import service
    from idp_extension.security import audit

    def unwritable_record(*args, **details):
        # A detail the JSON column cannot hold: the database write of the row fails.
        return audit.record(*args, **details, unwritable=object())

    monkeypatch.setattr(service, "record", unwritable_record)
    with app.app_context():
        with pytest.raises(Exception, match="not JSON serializable"):
            service.create_client(
                name="Portail adhérents",
                redirect_uris=["https://portail.mutuelle.test/callback"],
                post_logout_uris=[],
                public=False,
                auth_method="client_secret_basic",
                first_party=False,
                scopes=["openid"],
                admin_id=admin_id,
            )
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(OAuthClient)) == 0
        assert not db.session.scalars(
            select(AuditEvent.event).where(AuditEvent.event.in_(["client_created", "admin_action"]))
        ).all()
