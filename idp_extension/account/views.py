"""Login, logout, home, forgotten password (owned by the account/oidc work)."""

from flask import Blueprint

bp = Blueprint("account", __name__)
