"""The provider's blueprints, each scoped once with the provider's per-request rules (web.py)."""

from __future__ import annotations

from flask import Blueprint

from .account.views import bp as account
from .admin.views import bp as admin
from .demo.views import bp as demo_pages
from .enrollment.views import bp as enrollment
from .mfa.views import bp as mfa
from .oidc.views import bp as oidc
from .static_files import bp as assets
from .web import scope_blueprint

ALWAYS = (assets, enrollment, account, mfa, admin, oidc)

for _bp in (*ALWAYS, demo_pages):
    scope_blueprint(_bp)


def blueprints(*, demo: bool) -> list[Blueprint]:
    """The blueprints to register: the demo pages only in demo mode."""
    return [*ALWAYS, demo_pages] if demo else list(ALWAYS)
