"""The typed settings object: every IDP_* key, durations as timedeltas, per application."""

from datetime import timedelta

from idp_extension import create_app
from idp_extension.config import DEFAULTS
from idp_extension.settings import Settings, attribute_name, settings


def test_every_key_is_an_attribute_with_durations_as_timedeltas(app):
    with app.app_context():
        typed = settings()
        for key in DEFAULTS:
            getattr(typed, attribute_name(key))  # a key added to DEFAULTS is readable at once
        assert typed.activation_ttl == timedelta(hours=24)
        assert typed.session_max_age == timedelta(seconds=app.config["IDP_SESSION_MAX_AGE"])
        assert typed.lockout_threshold == app.config["IDP_LOCKOUT_THRESHOLD"]
        assert typed.issuer == "http://localhost"


def test_a_new_key_needs_nothing_but_its_default(monkeypatch):
    monkeypatch.setitem(DEFAULTS, "IDP_SOMETHING_NEW_TTL", 90)
    typed = Settings.from_config(
        {**DEFAULTS, "IDP_ISSUER": "https://id.example", "IDP_URL_PREFIX": "/idp"}
    )
    assert typed.something_new_ttl == timedelta(seconds=90)
    assert typed.issuer == "https://id.example/idp"


def test_each_application_has_its_own(tmp_path):
    def build(name, ttl):
        return create_app(
            {
                "IDP_DATABASE_URL": f"sqlite:///{tmp_path / name}.sqlite3",
                "IDP_SECRET_KEY": name * 40,
                "IDP_RATELIMIT_STORAGE_URL": "memory://",
                "IDP_AUTH_CODE_TTL": ttl,
            }
        )

    first, second = build("a", 60), build("b", 300)
    with first.app_context():
        assert settings().auth_code_ttl == timedelta(minutes=1)
    with second.app_context():
        assert settings().auth_code_ttl == timedelta(minutes=5)
    for app in (first, second):
        app.extensions["idp"].engine.dispose()
