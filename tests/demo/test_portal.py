"""The demo member portal on its own: its settings, pages and refusals.

Signing in through the provider is the browser journey's job (tests/browser/).
"""

import re

import pytest

from examples.member_portal import create_portal
from examples.member_portal.app import PortalConfigurationError

SETTINGS = {
    "PORTAL_ISSUER": "http://127.0.0.1:1",  # nothing listens: the portal must say so
    "PORTAL_CLIENT_ID": "portal-client",
    "PORTAL_CLIENT_SECRET": "portal-secret",
    "PORTAL_BASE_URL": "http://127.0.0.1:5001",
    "PORTAL_SECRET_KEY": "k" * 32,
}


@pytest.fixture
def portal():
    return create_portal(dict(SETTINGS)).test_client()


def test_credentials_are_required(monkeypatch):
    monkeypatch.delenv("PORTAL_CLIENT_ID", raising=False)
    monkeypatch.delenv("PORTAL_CLIENT_SECRET", raising=False)
    with pytest.raises(PortalConfigurationError, match="idp demo --json"):
        create_portal({"PORTAL_ISSUER": "http://127.0.0.1:5000"})


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORTAL_CLIENT_ID", "from-env")
    monkeypatch.setenv("PORTAL_CLIENT_SECRET", "secret-from-env")
    monkeypatch.setenv("PORTAL_ISSUER", "https://login.mutuelle.test/")
    app = create_portal()
    assert app.config["PORTAL_CLIENT_ID"] == "from-env"
    assert app.config["PORTAL_ISSUER"] == "https://login.mutuelle.test"


def test_home_offers_sign_in_in_french(portal):
    response = portal.get("/")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr">' in text
    assert "Portail adhérent" in text
    assert re.search(r'<a class="button" href="/connexion">Se connecter</a>', text)


def test_pages_send_security_headers(portal):
    response = portal.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "form-action 'self' http://127.0.0.1:1" in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_member_page_needs_a_sign_in(portal):
    response = portal.get("/mon-espace")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logout_without_the_form_token_is_refused(portal):
    portal.get("/")
    response = portal.post("/deconnexion", data={"csrf_token": ""})
    assert response.status_code == 400
    assert "Demande invalide" in response.get_data(as_text=True)


def test_unreachable_provider_is_a_clear_502(portal):
    response = portal.get("/connexion")
    assert response.status_code == 502
    assert "Le service de connexion ne répond pas" in response.get_data(as_text=True)


def test_refused_authorization_is_explained(portal):
    response = portal.get("/callback?error=access_denied&state=whatever")
    assert response.status_code == 403
    assert "Connexion annulée" in response.get_data(as_text=True)


def test_callback_with_an_unknown_state_is_refused(portal):
    response = portal.get("/callback?code=abc&state=forged")
    assert response.status_code == 400
    assert "Connexion impossible" in response.get_data(as_text=True)


def test_logout_return_with_a_foreign_state_does_not_claim_a_logout(portal):
    response = portal.get("/?state=not-ours")
    assert response.status_code == 200
    assert "Votre session est fermée" not in response.get_data(as_text=True)


def test_unknown_page_is_a_french_404(portal):
    response = portal.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_portal_does_not_import_the_provider():
    import pathlib

    folder = pathlib.Path(__file__).resolve().parents[2] / "examples" / "member_portal"
    for source in folder.rglob("*.py"):
        assert "idp_extension" not in source.read_text(), source
