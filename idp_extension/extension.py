"""The Flask extension: ``IdentityProvider(app)`` or ``IdentityProvider().init_app(app)``.

The host application owns the application: the provider registers no app-wide handler, hook or
engine listener, installs no second instance of an extension the host may have (SQLAlchemy,
CSRFProtect, Flask-Limiter, Flask-Mail), keeps everything it holds per application in
``app.extensions["idp"]`` (a ``ProviderState``), and serves every route under
``IDP_URL_PREFIX``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jinja2
from flask import Flask
from sqlalchemy.engine import Engine

from . import config as idp_config
from .clock import Clock, SystemClock
from .interfaces import MailTransport, MemberRegistry, SmsSender
from .resources import resource_folder
from .security.ratelimit import RateLimits
from .settings import Settings, settings

# The provider's templates are "idp/<path of templates/>": a host overrides one at that name.
TEMPLATE_PREFIX = "idp"


@dataclass
class ProviderState:
    """What the extension keeps per application, in ``app.extensions["idp"]``."""

    registry: MemberRegistry
    mailer: MailTransport
    sms: SmsSender
    clock: Clock
    engine: Engine
    rate_limits: RateLimits
    mail: Any  # Flask-Mail's connection settings for IDP_MAIL_* (never the host's MAIL_*)
    passwords: Any = field(default=None)
    url_prefix: str = ""
    settings: Any = None  # settings.Settings, the typed IDP_* values
    oidc: Any = None  # Authlib's server for this application (oidc.server.OidcServer)
    published: Any = None  # cached discovery and JWKS (oidc.published.PublishedDocuments)
    # Member number -> (expiry, status) of a pluggable registry's answers (enrollment.membership).
    membership_cache: dict = field(default_factory=dict)
    signin_pause: Any = None  # account.pause.SignInPause, built on first use


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

        from . import i18n
        from .db import db
        from .enrollment.registry import DatabaseRegistry
        from .mail.sender import MailboxTransport, SmtpTransport, mail_state
        from .security import log_redaction, proxies
        from .security.passwords import PasswordHashing

        # Before the settings are read: it settles IDP_PROXY_FIX to a number of hops.
        proxies.init_app(app)

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
            engine=db.init_app(app),
            rate_limits=RateLimits.from_config(app.config),
            mail=mail_state(idp_config.mail_settings(app.config)),
            passwords=PasswordHashing.from_config(app.config),
            url_prefix=app.config["IDP_URL_PREFIX"],
            settings=Settings.from_config(app.config),
        )

        # Flask-Mail's Message reads one flag (ascii_attachments) from app.extensions["mail"]:
        # a host's own Flask-Mail answers it; without one, ours does. Connections always use
        # the provider's own settings (state.mail), never the host's MAIL_*.
        app.extensions.setdefault("mail", app.extensions["idp"].mail)
        self._init_templates(app)
        i18n.init_app(app)
        self._register_blueprints(app)

        from .cli import idp_group

        app.cli.add_command(idp_group)
        # Last: every module of the package is imported by now, each logger gets the filter.
        log_redaction.install()

    @staticmethod
    def _init_templates(app: Flask) -> None:
        # Ours are served under "idp/" only, so a host's own base.html, macros/ or admin/ never
        # become a provider page's layout, and ours never hide a template of the host or of
        # its blueprints. The host's folder comes first: its templates/idp/<path> restyles ours.
        loaders = [app.jinja_loader] if app.jinja_loader else []
        provider = jinja2.FileSystemLoader(str(resource_folder("templates")))
        loaders.append(jinja2.PrefixLoader({TEMPLATE_PREFIX: provider}))
        app.jinja_loader = jinja2.ChoiceLoader(loaders)

        from .insurer import insurer
        from .security.passwords import translated_rules

        # A global, not a context processor: imported macros (macros/password.html) see globals.
        app.jinja_env.globals["password_rules"] = translated_rules
        app.jinja_env.globals["insurer"] = insurer
        # Mail templates read settings too, outside any request (insurer() needs one).
        app.jinja_env.globals["idp_settings"] = settings

    @staticmethod
    def _register_blueprints(app: Flask) -> None:
        from .blueprints import blueprints
        from .oidc.published import init_app as init_published
        from .oidc.server import init_server
        from .oidc.views import EXEMPT_FROM_CSRF
        from .security.csrf import exempt_on_host

        init_server(app)
        init_published(app)
        prefix = app.config["IDP_URL_PREFIX"]
        for bp in blueprints(demo=app.config["IDP_DEMO"]):
            app.register_blueprint(bp, url_prefix=prefix + (bp.url_prefix or ""))
        exempt_on_host(app, EXEMPT_FROM_CSRF)


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
