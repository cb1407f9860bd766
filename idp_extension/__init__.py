"""A member identity provider: sign-up proved against the member register, OpenID Connect SSO."""

from .app import create_app
from .extension import IdentityProvider

__all__ = ["IdentityProvider", "create_app"]
