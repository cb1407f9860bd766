"""The application starts, answers errors as pages, and sets its security headers."""

from idp_extension import IdentityProvider, create_app

from .conftest import page_text


def test_unknown_page_is_a_french_404_page(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Cette page n'existe pas" in page_text(response)


def test_english_through_lang_parameter(client):
    response = client.get("/nulle-part?lang=en")
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/nulle-part")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_second_registration_is_refused(app):
    import pytest

    with pytest.raises(RuntimeError):
        IdentityProvider(app)


def test_secret_key_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("IDP_SECRET_KEY", raising=False)
    first = create_app(
        {"IDP_DATABASE_URL": f"sqlite:///{tmp_path}/a.db", "IDP_RATELIMIT_STORAGE_URL": "memory://"}
    )
    # The factory's instance folder is the project's; the key must not be a constant.
    assert len(first.config["SECRET_KEY"]) >= 32
    second = create_app(
        {"IDP_DATABASE_URL": f"sqlite:///{tmp_path}/a.db", "IDP_RATELIMIT_STORAGE_URL": "memory://"}
    )
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
