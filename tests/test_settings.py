"""The typed settings object: every IDP_* key, durations as timedeltas, per application."""

import ast
import re
from datetime import timedelta
from pathlib import Path

import idp_extension
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


PACKAGE = Path(idp_extension.__file__).resolve().parent

# Modules that may read an IDP_* key from the config, and why: they run at init_app, before
# or while the settings object is built from that config.
READS_THE_CONFIG = {
    "config.py": "fills the defaults and validates them at start-up",
    "extension.py": "init_app: builds the state (mail, SMS sender, engine) and the settings",
    "settings.py": "builds the settings from the config",
    "db.py": "init_app: the engine is built from IDP_DATABASE_URL",
    "security/proxies.py": "init_app: settles IDP_PROXY_FIX before the settings are built",
    "security/passwords.py": "PasswordHashing.from_config, given the config by init_app",
}


def _idp_key(node) -> bool:
    return isinstance(node, ast.Constant) and str(node.value).startswith("IDP_")


def _is_config(node) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name == "config"


def _read(node) -> tuple[ast.AST, ast.AST] | None:
    """(what is read from, the key) of ``x[key]`` or ``x.get(key, ...)``."""
    if isinstance(node, ast.Subscript):
        return node.value, node.slice
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
        return (node.func.value, node.args[0]) if node.func.attr == "get" else None
    return None


def config_reads(source: str) -> list[int]:
    """Lines reading ``<...>config["IDP_..."]`` or ``<...>config.get("IDP_...")``."""
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if (read := _read(node)) and _is_config(read[0]) and _idp_key(read[1])
    )


def test_services_and_views_read_the_settings_not_the_config():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module in READS_THE_CONFIG or "/migrations/" in f"/{module}":
            continue
        lines = config_reads(path.read_text(encoding="utf-8"))
        if lines:
            found[module] = lines
    assert found == {}, f"read settings().<name> instead of the config: {found}"


def test_templates_read_the_settings_not_the_config():
    templates = PACKAGE.parent / "templates"
    found = [
        path.relative_to(templates).as_posix()
        for path in sorted(templates.rglob("*"))
        if path.is_file() and re.search(r"""config(\.get\(|\[)\s*["']IDP_""", path.read_text())
    ]
    assert found == [], f"use idp_settings().<name> or insurer() in {found}"


def test_the_scan_sees_a_config_read():
    assert config_reads('x = current_app.config["IDP_MFA"]\ny = config.get("IDP_DEMO")') == [1, 2]
    assert config_reads('key = current_app.config["SECRET_KEY"]') == []  # Flask's own key
