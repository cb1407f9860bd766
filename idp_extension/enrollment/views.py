"""Sign-up, activation link and first password (owned by the enrollment work)."""

from flask import Blueprint

bp = Blueprint("enrollment", __name__)
