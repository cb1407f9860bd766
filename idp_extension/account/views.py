"""Login, logout, home, forgotten password (the login/reset parts are owned by the account work)."""

from flask import Blueprint, redirect, render_template, url_for

from .session import signed_in_account

bp = Blueprint("account", __name__)


@bp.get("/")
def home():
    account = signed_in_account()
    if account is None:
        return redirect(url_for("account.login"))
    return render_template("account/home.html", account=account)


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    """Placeholder until the login work lands."""
    return render_template("account/home.html", account=None)
