"""Security building blocks: hashing, token digests, sealing, log redaction, configuration."""

import logging

import pytest

from idp_extension.config import ConfigurationError
from idp_extension.security import log_redaction, sealing, tokens
from idp_extension.security.passwords import PasswordHashing, unmet_rules


def test_argon2id_hash_verifies_and_flags_old_parameters_for_rehash():
    weak = PasswordHashing(time_cost=1, memory_cost=1024, parallelism=1)
    stored = weak.hash("Secret#2026")
    assert stored.startswith("$argon2id$")
    assert weak.verify(stored, "Secret#2026")
    assert not weak.verify(stored, "secret#2026")
    stronger = PasswordHashing(time_cost=2, memory_cost=2048, parallelism=1)
    assert stronger.verify(stored, "Secret#2026")
    assert stronger.needs_rehash(stored)
    assert not weak.needs_rehash(stored)


def test_oversized_password_is_refused_not_hashed():
    hashing = PasswordHashing(time_cost=1, memory_cost=1024, parallelism=1)
    stored = hashing.hash("Secret#2026")
    assert not hashing.verify(stored, "A1#a" * 10_000)
    with pytest.raises(ValueError):
        hashing.hash("A1#a" * 10_000)
    assert unmet_rules("A1#a" * 100)[0].code == "length"


def test_tokens_carry_32_random_bytes_and_only_digest_is_comparable():
    token = tokens.new_token()
    assert len(token) >= 43 and token != tokens.new_token()
    stored = tokens.digest(token)
    assert len(stored) == 64 and token not in stored
    assert tokens.matches(token, stored)
    assert not tokens.matches(token + "x", stored)


def test_sealed_text_holds_no_clear_text_and_needs_the_key():
    sealed = sealing.seal("key-one", "https://idp/activation/abc")
    assert "activation" not in sealed
    assert sealing.unseal("key-one", sealed) == "https://idp/activation/abc"
    with pytest.raises(sealing.InvalidToken):
        sealing.unseal("key-two", sealed)


@pytest.mark.parametrize(
    "line",
    [
        '127.0.0.1 - - "GET /activation/AbC-123_x HTTP/1.1" 200 -',
        '127.0.0.1 - - "GET /callback?state=s&code=SplxlOBeZQQYbYS6WxSbIA HTTP/1.1" 302 -',
        '127.0.0.1 - - "GET /authorize?login_hint=a@b.fr&id_token_hint=eyJ.x.y HTTP/1.1" 302 -',
        '127.0.0.1 - - "GET /mot-de-passe-oublie/Zz9-secret HTTP/1.1" 200 -',
    ],
)
def test_request_lines_lose_their_secrets(line, caplog):
    logger = logging.getLogger("werkzeug")
    log_redaction.install()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info("%s", line)
    logged = caplog.records[-1].getMessage()
    assert "[redacted]" in logged
    for secret in ("AbC-123_x", "SplxlOBeZQQYbYS6WxSbIA", "a@b.fr", "eyJ.x.y", "Zz9-secret"):
        assert secret not in logged


@pytest.mark.parametrize(
    "settings",
    [
        {"IDP_ISSUER": "idp.example"},
        {"IDP_ACTIVATION_TTL": "0"},
        {"IDP_MAIL_USE_TLS": "maybe"},
        {"IDP_MAIL_USE_TLS": "1", "IDP_MAIL_USE_SSL": "1"},
    ],
)
def test_bad_configuration_stops_start_up(settings, tmp_path):
    from idp_extension import create_app

    base = {
        "IDP_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "IDP_SECRET_KEY": "k" * 40,
        "IDP_RATELIMIT_STORAGE_URL": "memory://",
    }
    create_app(base)  # the base itself starts: each refusal below is the setting's
    with pytest.raises(ConfigurationError):
        create_app({**base, **settings})


def test_environment_settings_are_read(monkeypatch, tmp_path):
    from idp_extension import create_app

    monkeypatch.setenv("IDP_ACTIVATION_TTL", "3600")
    monkeypatch.setenv("IDP_ISSUER", "https://login.mutuelle.example/")
    app = create_app(
        {
            "IDP_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            "IDP_SECRET_KEY": "k" * 40,
            "IDP_RATELIMIT_STORAGE_URL": "memory://",
        }
    )
    assert app.config["IDP_ACTIVATION_TTL"] == 3600
    assert app.config["IDP_ISSUER"] == "https://login.mutuelle.example"
    assert app.config["SESSION_COOKIE_SECURE"] is True
