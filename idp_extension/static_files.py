"""The stylesheet and scripts, served by the app itself under /assets (no CDN, CSP 'self')."""

from flask import Blueprint

bp = Blueprint("assets", __name__, static_folder="static", static_url_path="/assets")
