"""The Flask extension: ``IdentityProvider(app)`` or ``IdentityProvider().init_app(app)``."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from flask import Flask

from . import config as idp_config
from .clock import Clock, SystemClock
from .interfaces import MailTransport, MemberRegistry, SmsSender

# Top-level folders of the project, found in a source checkout or where a wheel installs them.
SHARED_ROOTS = [
    Path(__file__).resolve().parent.parent,
    Path(sys.prefix) / "share" / "idp-extension",
]
TEMPLATE_FOLDERS = [root / "templates" for root in SHARED_ROOTS]


def migrations_folder() -> Path:
    """The Alembic folder of a checkout, else of the installed package."""
    for root in SHARED_ROOTS:
        if (root / "migrations" / "env.py").is_file():
            return root / "migrations"
    return SHARED_ROOTS[0] / "migrations"


@dataclass
class ProviderState:
    """What the extension keeps per application, in ``app.extensions["idp"]``."""

    registry: MemberRegistry
    mailer: MailTransport
    sms: SmsSender
    clock: Clock
    passwords: object = field(default=None)
    # Member number -> (expiry, status) of a pluggable registry's answers (enrollment.membership).
    membership_cache: dict = field(default_factory=dict)
    signin_pause: object = field(default=None)  # account.pause.SignInPause, built on first use
    identity_limits: object = field(default=None)  # security.ratelimit.identity_counters


class IdentityProvider:
    """Registers the blueprints, the ``flask idp`` commands and the IDP_* config defaults.

    Outside systems are passed in, not patched: ``registry`` (``lookup(member_number)``),
    ``mailer`` (a ``MailTransport``), ``sms`` and ``clock``. Each defaults from config.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        registry: MemberRegistry | None = None,
        mailer: MailTransport | None = None,
        sms: SmsSender | None = None,
        clock: Clock | None = None,
    ):
        self.registry = registry
        self.mailer = mailer
        self.sms = sms
        self.clock = clock
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if "idp" in app.extensions:
            raise RuntimeError("IdentityProvider is already registered on this application")
        idp_config.apply_defaults(app)

        from .db import db, migrate
        from .enrollment.registry import DatabaseRegistry
        from .mail.sender import MailboxTransport, SmtpTransport, mail
        from .security.passwords import PasswordHashing

        db.init_app(app)
        migrate.init_app(app, db, directory=str(migrations_folder()))
        mail.init_app(app)

        if self.mailer is not None:
            mailer = self.mailer
        elif app.config["IDP_DEMO"] and not app.config["IDP_MAIL_SERVER"]:
            mailer = MailboxTransport()
        else:
            mailer = SmtpTransport()
        app.extensions["idp"] = ProviderState(
            registry=self.registry or DatabaseRegistry(),
            mailer=mailer,
            sms=self.sms or _configured_sms_sender(app.config),
            clock=self.clock or SystemClock(),
            passwords=PasswordHashing.from_config(app.config),
        )

        self._init_templates(app)
        self._init_web(app)
        self._register_blueprints(app)

        from .cli import idp_group

        app.cli.add_command(idp_group)

    @staticmethod
    def _init_templates(app: Flask) -> None:
        # The host application's own templates win; ours are the fallback.
        loaders = [app.jinja_loader] if app.jinja_loader else []
        loaders += [jinja2.FileSystemLoader(str(p)) for p in TEMPLATE_FOLDERS if p.is_dir()]
        app.jinja_loader = jinja2.ChoiceLoader(loaders)

        from .insurer import insurer
        from .security.passwords import translated_rules

        app.jinja_env.globals["password_rules"] = translated_rules
        app.jinja_env.globals["insurer"] = insurer

    @staticmethod
    def _init_web(app: Flask) -> None:
        from . import errors, i18n
        from .security import csrf, headers, log_redaction, proxies
        from .security.ratelimit import limiter

        proxies.init_app(app)
        csrf.init_app(app)
        limiter.init_app(app)
        i18n.init_app(app)
        headers.init_app(app)
        errors.init_app(app)
        log_redaction.install()

    @staticmethod
    def _register_blueprints(app: Flask) -> None:
        from .account.views import bp as account_bp
        from .admin.views import bp as admin_bp
        from .enrollment.views import bp as enrollment_bp
        from .mfa.views import bp as mfa_bp
        from .oidc.views import register as register_oidc
        from .static_files import bp as assets_bp

        app.register_blueprint(assets_bp)
        app.register_blueprint(enrollment_bp)
        app.register_blueprint(account_bp)
        app.register_blueprint(mfa_bp)
        app.register_blueprint(admin_bp)
        register_oidc(app)
        if app.config["IDP_DEMO"]:
            from .demo.views import bp as demo_bp

            app.register_blueprint(demo_bp)


def _configured_sms_sender(config) -> SmsSender:
    """The HTTP gateway when configured; else the demo mailbox, or a queue that waits."""
    from .sms.senders import HttpSmsGateway, MailboxSmsSender, UnconfiguredSmsSender

    if config["IDP_SMS_GATEWAY_URL"]:
        return HttpSmsGateway(
            config["IDP_SMS_GATEWAY_URL"],
            token=config["IDP_SMS_GATEWAY_TOKEN"],
            timeout=config["IDP_SMS_GATEWAY_TIMEOUT"],
        )
    if config["IDP_DEMO"]:
        return MailboxSmsSender()
    return UnconfiguredSmsSender()
