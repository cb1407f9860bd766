"""Configuration keys of the identity provider, their defaults and start-up validation.

Every key is read from the environment (``IDP_*``) and may also be passed to ``create_app``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

# Each default, with why it is what it is. Values here are strings or numbers as the environment
# would give them; ``load_environment`` converts types.
DEFAULTS: dict[str, object] = {
    # Public base URL; the ``iss`` of every token and the base of every link in mail.
    "IDP_ISSUER": "http://127.0.0.1:5000",
    # Path under which every provider route lives in the application ("/idp"), empty for the
    # root. The issuer is IDP_ISSUER followed by it.
    "IDP_URL_PREFIX": "",
    # SQLAlchemy URL; None means sqlite:///<instance>/idp.sqlite3.
    "IDP_DATABASE_URL": None,
    # Session signing key; None means generated once into the instance folder.
    "IDP_SECRET_KEY": None,
    # SMTP. With IDP_DEMO on and no server set, mail goes to the local mailbox page instead.
    "IDP_MAIL_SERVER": None,
    "IDP_MAIL_PORT": 25,
    "IDP_MAIL_USERNAME": None,
    "IDP_MAIL_PASSWORD": None,
    "IDP_MAIL_USE_TLS": False,
    "IDP_MAIL_USE_SSL": False,
    "IDP_MAIL_SENDER": "Espace Client <no-reply@localhost>",
    # Seconds an activation link stays valid (the seed journey promises 24 hours).
    "IDP_ACTIVATION_TTL": 86400,
    # Seconds a password-reset link stays valid; short, as it grants account takeover.
    "IDP_RESET_TTL": 3600,
    # Flask-Limiter storage: redis://host:6379/0, shared by every app server and worker
    # process. None means memory:// in demo mode (or with limits off) and a refusal to start
    # otherwise: memory:// counts per process, so N processes let N times the limit through.
    # Write memory:// here to choose it anyway (one process, or tests).
    "IDP_RATELIMIT_STORAGE_URL": None,
    # Prefix of the counters' keys, when one Redis serves other applications or deployments.
    "IDP_RATELIMIT_KEY_PREFIX": "",
    # Rate limits, per client IP (Flask-Limiter syntax) and per identity typed. The per-email
    # login limit sits above the lockout threshold: lockout protects the account, these limits
    # protect the server and the members' mailboxes.
    "IDP_SIGNUP_LIMIT_PER_IP": "20/hour",
    "IDP_SIGNUP_LIMIT_PER_MEMBER": "10/hour",
    "IDP_LOGIN_LIMIT_PER_IP": "30 per minute;300 per hour",
    "IDP_LOGIN_LIMIT_PER_EMAIL": "30/hour",
    "IDP_MAIL_LIMIT_PER_IP": "10 per minute;60 per hour",
    "IDP_MAIL_LIMIT_PER_EMAIL": "5/hour",
    # First-password submissions on activation links per client address: a link is only
    # tried by its holder, a flood is someone guessing links or hashing for free.
    "IDP_ACTIVATION_LIMIT_PER_IP": "30/hour",
    # New activation links asked per client address, and per pending sign-up (or expired
    # link): each one sends a mail to a member's mailbox.
    "IDP_NEW_LINK_LIMIT_PER_IP": "10/hour",
    "IDP_NEW_LINK_LIMIT_PER_SIGN_UP": "5/hour",
    # Switch all rate limits off (tests of other behaviour only).
    "IDP_RATELIMIT_ENABLED": True,
    # Demo mode: local mailbox page, demo data commands.
    "IDP_DEMO": False,
    # argon2id parameters, memory in KiB: OWASP's (Password Storage Cheat Sheet) m=19 MiB, t=2,
    # p=1, not RFC 9106's 64 MiB/t=3/p=4: four 64 MiB hashes at once in one worker would pass
    # the 150 MB a worker may use, and p=4 buys no latency on two cores (README "Passwords").
    "IDP_ARGON2_TIME_COST": 2,
    "IDP_ARGON2_MEMORY_COST": 19456,
    "IDP_ARGON2_PARALLELISM": 1,
    # Failed logins before an account is locked, and for how long (seconds).
    "IDP_LOCKOUT_THRESHOLD": 5,
    "IDP_LOCKOUT_SECONDS": 900,
    # Seconds an SSO session lives without being used.
    "IDP_SESSION_LIFETIME": 8 * 3600,
    # Seconds an SSO session lives at most, however busy: then the member signs in again.
    "IDP_SESSION_MAX_AGE": 12 * 3600,
    # Mail delivery: attempts before a message is marked failed, and the first retry delay.
    "IDP_MAIL_MAX_ATTEMPTS": 8,
    "IDP_MAIL_RETRY_BASE_SECONDS": 30,
    # Longest wait between two attempts (the backoff doubles up to this).
    "IDP_MAIL_RETRY_MAX_SECONDS": 6 * 3600,
    # Seconds one SMTP operation may take before the attempt counts as failed.
    "IDP_MAIL_TIMEOUT": 30,
    # Seconds a sender owns a claimed message; a sender killed mid-send loses it after this.
    # Must exceed IDP_MAIL_TIMEOUT by far, or a slow send could be claimed twice.
    "IDP_MAIL_LEASE_SECONDS": 300,
    # Longest wait of the worker between two probes of an unreachable mail server (the wait
    # doubles from the worker's --interval up to this): the backlog leaves this soon after.
    "IDP_MAIL_PROBE_MAX_SECONDS": 10,
    # CA bundle to check the SMTP server's certificate (STARTTLS/SSL); None: system CAs.
    "IDP_MAIL_CA_FILE": None,
    # Send the outbox right after the request that wrote it (a worker sends the rest).
    "IDP_MAIL_SEND_AFTER_REQUEST": True,
    # Languages offered, the first is the default.
    "IDP_LANGUAGES": "fr,en",
    # Links shown on the sign-up form next to the terms checkbox.
    "IDP_TERMS_URL": None,
    "IDP_LEGAL_NOTICE_URL": None,
    # The insurer's name (header, mail signature) and help contact (footer, contact page, the
    # register-mismatch message); unset, the pages use generic words and a built-in page.
    "IDP_ORGANISATION_NAME": None,
    "IDP_SUPPORT_URL": None,
    "IDP_SUPPORT_PHONE": None,
    # OpenID Connect lifetimes, seconds. Codes are short (RFC 6749 4.1.2 recommends <= 10 min).
    "IDP_AUTH_CODE_TTL": 120,
    "IDP_ACCESS_TOKEN_TTL": 600,
    "IDP_REFRESH_TOKEN_TTL": 30 * 86400,
    "IDP_ID_TOKEN_TTL": 3600,
    # A rotated-in signing key is published this long beyond every JWKS cache (the server's
    # own and the relying parties' max-age) before it signs (`flask idp rotate-keys`).
    "IDP_KEY_PUBLISH_MARGIN_SECONDS": 60,
    # Number of proxies in front of the app whose X-Forwarded-For/-Proto are believed; 0 reads
    # no X-Forwarded-* header at all (a client could otherwise pick its own address).
    "IDP_PROXY_FIX": 0,
    # Seconds a pluggable registry's answer on a member's status is reused at sign-in/refresh.
    "IDP_REGISTRY_CACHE_SECONDS": 60,
    # import-members --terminate-missing refuses when more than this percentage of the active
    # register would be terminated (a truncated export), unless --force.
    "IDP_IMPORT_TERMINATE_MAX_PERCENT": 5,
    # Where the console keeps an uploaded register between preview and import; None means
    # <instance>/imports. Several app servers need one shared folder here.
    "IDP_IMPORT_UPLOAD_DIR": None,
    # Largest register file the console accepts, bytes (spooled to disk, never held in memory).
    "IDP_IMPORT_MAX_UPLOAD_BYTES": 1024 * 1024 * 1024,
    # SMS gateway: POST JSON {"to": "+33...", "text": "..."}; bearer token when set. Without a
    # URL, SMS go to the demo mailbox in demo mode and wait in the outbox otherwise.
    "IDP_SMS_GATEWAY_URL": None,
    "IDP_SMS_GATEWAY_TOKEN": None,
    # Seconds one call to the SMS gateway may take before the attempt counts as failed.
    "IDP_SMS_GATEWAY_TIMEOUT": 10,
    # Second factor policy: optional (asked when the member set one up or the relying party
    # asks with acr_values=mfa), required (every member, every sign-in), off (never asked).
    "IDP_MFA": "optional",
    # Codes sent by SMS, per account and per client address: each SMS costs the insurer money
    # and reaches a person's phone.
    "IDP_SMS_LIMIT_PER_ACCOUNT": "5/hour;10/day",
    "IDP_SMS_LIMIT_PER_IP": "20/hour",
}

MFA_POLICIES = ("optional", "required", "off")

BOOLEAN_KEYS = {key for key, value in DEFAULTS.items() if isinstance(value, bool)}
INTEGER_KEYS = {
    key for key, value in DEFAULTS.items() if isinstance(value, int) and not isinstance(value, bool)
}
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class ConfigurationError(RuntimeError):
    """A configuration value cannot be used; raised at start-up, never later."""


def _convert(key: str, value: object) -> object:
    if value is None:
        return None
    if key in BOOLEAN_KEYS and isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ConfigurationError(f"{key} must be a boolean (true/false), got {value!r}")
    if key in INTEGER_KEYS and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise ConfigurationError(f"{key} must be an integer, got {value!r}") from None
    return value


def load_environment(environ: os._Environ | dict | None = None) -> dict[str, object]:
    """Return the IDP_* settings found in the environment, converted to their types."""
    environ = os.environ if environ is None else environ
    return {
        key: _convert(key, environ[key])
        for key in environ
        if key.startswith("IDP_") and (key in DEFAULTS or key.startswith("IDP_MAIL_"))
    }


def apply_defaults(app) -> None:
    """Fill every missing IDP_* key, derive Flask's own keys, and validate."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    for key in list(app.config):
        if key.startswith("IDP_"):
            app.config[key] = _convert(key, app.config[key])

    if not app.config["IDP_DATABASE_URL"]:
        db_path = Path(app.instance_path) / "idp.sqlite3"
        app.config["IDP_DATABASE_URL"] = f"sqlite:///{db_path}"
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", app.config["IDP_DATABASE_URL"])

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = app.config["IDP_SECRET_KEY"] or _instance_secret(app)

    issuer = str(app.config["IDP_ISSUER"]).rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise ConfigurationError("IDP_ISSUER must be an absolute http(s) URL")
    app.config["IDP_ISSUER"] = issuer
    app.config["IDP_URL_PREFIX"] = url_prefix(app.config["IDP_URL_PREFIX"])
    secure = issuer.startswith("https://")
    _flask_default(app, "SESSION_COOKIE_SECURE", secure)
    _flask_default(app, "SESSION_COOKIE_HTTPONLY", True)
    _flask_default(app, "SESSION_COOKIE_SAMESITE", "Lax")

    languages = [lang.strip() for lang in str(app.config["IDP_LANGUAGES"]).split(",")]
    app.config["IDP_LANGUAGES"] = [lang for lang in languages if lang]
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["IDP_LANGUAGES"][0])
    # Times shown to members (their active sessions) read in the insurer's time zone.
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")

    app.config.setdefault("RATELIMIT_ENABLED", app.config["IDP_RATELIMIT_ENABLED"])
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["IDP_RATELIMIT_KEY_PREFIX"])
    # Redis down: count per process rather than answer 500 to every sign-in (ratelimit.py).
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)

    _check_mail_config(app.config)

    if app.config["IDP_DEMO"] and urlsplit(issuer).hostname not in LOCAL_HOSTS:
        # The demo mailbox would show every member's links; demo data is not real data.
        raise ConfigurationError(
            "IDP_DEMO is for a local machine: IDP_ISSUER must be "
            "http://127.0.0.1, localhost or [::1]"
        )
    _check_second_factor_config(app)
    for key in ("IDP_ACTIVATION_TTL", "IDP_SESSION_LIFETIME", "IDP_SESSION_MAX_AGE"):
        if app.config[key] <= 0:
            raise ConfigurationError(f"{key} must be a positive number of seconds")
    # Last, so that any other mistake in the settings is reported before a missing storage.
    app.config.setdefault("RATELIMIT_STORAGE_URI", _rate_limit_storage(app.config))


def _check_second_factor_config(app) -> None:
    config = app.config
    config["IDP_MFA"] = str(config["IDP_MFA"]).strip().lower()
    if config["IDP_MFA"] not in MFA_POLICIES:
        raise ConfigurationError(f"IDP_MFA must be one of {', '.join(MFA_POLICIES)}")
    url = config["IDP_SMS_GATEWAY_URL"]
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise ConfigurationError("IDP_SMS_GATEWAY_URL must be an http(s) URL")
    if config["IDP_SMS_GATEWAY_TIMEOUT"] <= 0:
        raise ConfigurationError("IDP_SMS_GATEWAY_TIMEOUT must be a positive number of seconds")


def _rate_limit_storage(config) -> str:
    """The counters' storage; per-process memory only when chosen or harmless (demo, no limits)."""
    chosen = config["IDP_RATELIMIT_STORAGE_URL"] or config.get("RATELIMIT_STORAGE_URI")
    if chosen:
        return chosen
    if config["IDP_DEMO"] or not config["IDP_RATELIMIT_ENABLED"]:
        return "memory://"
    raise ConfigurationError(
        "IDP_RATELIMIT_STORAGE_URL is not set: give the Redis that every app server shares "
        "(redis://host:6379/0), or write memory:// to count per process (one process only)"
    )


def url_prefix(value: object) -> str:
    """``"/idp"`` from ``"idp"``, ``"/idp/"`` or ``"/idp"``; empty for the root."""
    prefix = str(value or "").strip().strip("/")
    if not prefix:
        return ""
    if any(char in prefix for char in "?#<> \\") or "//" in prefix:
        raise ConfigurationError(f"IDP_URL_PREFIX must be a plain path such as /idp, got {value!r}")
    return "/" + prefix


def apply_standalone_defaults(app) -> None:
    """Flask keys the standalone server sets for itself; in a host they stay the host's."""
    _flask_default(app, "SESSION_COOKIE_NAME", "idp_session")
    _flask_default(
        app, "PERMANENT_SESSION_LIFETIME", timedelta(seconds=app.config["IDP_SESSION_LIFETIME"])
    )
    # Forms larger than this are refused with 413 before any parsing (web.py holds the
    # provider's own routes to the same limits in a host).
    _flask_default(app, "MAX_CONTENT_LENGTH", 256 * 1024)
    _flask_default(app, "MAX_FORM_MEMORY_SIZE", 64 * 1024)


def _flask_default(app, key: str, value) -> None:
    """Set one of Flask's own keys unless the host application already changed it."""
    if app.config.get(key) == app.default_config.get(key):
        app.config[key] = value


def mail_settings(config) -> dict[str, object]:
    """Flask-Mail's settings for the provider's own mail, from IDP_MAIL_* only: the host's
    MAIL_* keys (and its Flask-Mail, if any) are left as the host set them."""
    return {
        "MAIL_SERVER": config["IDP_MAIL_SERVER"] or "localhost",
        "MAIL_PORT": int(config["IDP_MAIL_PORT"]),
        "MAIL_USERNAME": config["IDP_MAIL_USERNAME"],
        "MAIL_PASSWORD": config["IDP_MAIL_PASSWORD"],
        "MAIL_USE_TLS": bool(config["IDP_MAIL_USE_TLS"]),
        "MAIL_USE_SSL": bool(config["IDP_MAIL_USE_SSL"]),
        "MAIL_DEFAULT_SENDER": config["IDP_MAIL_SENDER"],
        # The outbox decides when to send; Flask-Mail must never silently drop a message.
        "MAIL_SUPPRESS_SEND": False,
    }


def _check_mail_config(config) -> None:
    if config["IDP_MAIL_USE_TLS"] and config["IDP_MAIL_USE_SSL"]:
        raise ConfigurationError("IDP_MAIL_USE_TLS and IDP_MAIL_USE_SSL exclude each other")
    if config["IDP_MAIL_RETRY_BASE_SECONDS"] < 1 or config["IDP_MAIL_MAX_ATTEMPTS"] < 1:
        raise ConfigurationError(
            "IDP_MAIL_RETRY_BASE_SECONDS and IDP_MAIL_MAX_ATTEMPTS must be at least 1"
        )
    if config["IDP_MAIL_LEASE_SECONDS"] < 5 * config["IDP_MAIL_TIMEOUT"]:
        raise ConfigurationError(
            "IDP_MAIL_LEASE_SECONDS must be at least five times IDP_MAIL_TIMEOUT"
        )


def _instance_secret(app) -> str:
    """Read the instance's session key, creating it once with owner-only permissions."""
    path = Path(app.instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process created it first; use theirs so all workers agree.
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
