"""Console pages for members' accounts: search, the account page and its buttons."""

from __future__ import annotations

import json

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..account.pause import signin_pause
from ..account.views import external_url
from ..mail import outbox
from . import accounts, data_rights
from .errors import AdminActionError
from .forms import SearchForm
from .views import _action_failed, bp, page_number


@bp.get("/comptes", endpoint="accounts")
def accounts_list():
    form = SearchForm(request.args, meta={"csrf": False})
    query = (form.q.data or "") if form.validate() else ""
    return render_template(
        "idp/admin/accounts.html",
        form=form,
        query=query,
        page=accounts.search_accounts(query, page=page_number()),
    )


@bp.get("/comptes/<int:account_id>")
def account(account_id: int):
    try:
        file = accounts.account_file(account_id, now=clock.now(), pause=signin_pause())
    except AdminActionError as error:
        return _action_failed(error, "admin.accounts")
    return render_template("idp/admin/account.html", file=file, now=clock.now())


def _done(account_id: int, message: str):
    flash(message, "success")
    return redirect(url_for("admin.account", account_id=account_id))


def _failed(error: AdminActionError, account_id: int):
    if error.reason == "not_found":
        return _action_failed(error, "admin.accounts")
    return _action_failed(error, "admin.account", account_id=account_id)


@bp.post("/comptes/<int:account_id>/activation")
def resend_activation(account_id: int):
    try:
        message_id = accounts.resend_activation(
            account_id, admin_id=g.admin.id, ip_address=request.remote_addr
        )
    except AdminActionError as error:
        return _failed(error, account_id)
    response = _done(account_id, _("Un nouveau lien d'activation est envoyé."))
    return outbox.send_after_response(response, [message_id])


@bp.post("/comptes/<int:account_id>/reinitialisation")
def send_password_reset(account_id: int):
    prefix = external_url("account.reset_password", token="x")[:-1]  # noqa: S106
    try:
        message_id = accounts.send_password_reset(
            account_id,
            admin_id=g.admin.id,
            now=clock.now(),
            link_for=lambda token: prefix + token,
            ip_address=request.remote_addr,
        )
    except AdminActionError as error:
        return _failed(error, account_id)
    response = _done(account_id, _("Un lien de réinitialisation du mot de passe est envoyé."))
    return outbox.send_after_response(response, [message_id])


@bp.post("/comptes/<int:account_id>/debloquer")
def unlock_account(account_id: int):
    try:
        accounts.unlock(
            account_id,
            admin_id=g.admin.id,
            now=clock.now(),
            pause=signin_pause(),
            ip_address=request.remote_addr,
        )
    except AdminActionError as error:
        return _failed(error, account_id)
    return _done(account_id, _("Le compte est débloqué."))


@bp.post("/comptes/<int:account_id>/desactiver")
def disable_account(account_id: int):
    return _set_enabled(account_id, False)


@bp.post("/comptes/<int:account_id>/reactiver")
def enable_account(account_id: int):
    return _set_enabled(account_id, True)


def _set_enabled(account_id: int, enabled: bool):
    try:
        account = accounts.set_account_enabled(
            account_id,
            enabled,
            admin_id=g.admin.id,
            now=clock.now(),
            ip_address=request.remote_addr,
        )
    except AdminActionError as error:
        return _failed(error, account_id)
    if enabled:
        return _done(account_id, _("Le compte %(email)s est réactivé.", email=account.email))
    return _done(
        account_id,
        _(
            "Le compte %(email)s est désactivé : ses sessions sont fermées et les jetons "
            "de ses applications révoqués.",
            email=account.email,
        ),
    )


@bp.post("/comptes/<int:account_id>/export")
def export_account(account_id: int):
    try:
        document, filename = data_rights.export_account(
            account_id, admin_id=g.admin.id, ip_address=request.remote_addr
        )
    except AdminActionError as error:
        return _failed(error, account_id)
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2, default=str),
        mimetype="application/json",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/comptes/<int:account_id>/supprimer", methods=["GET", "POST"])
def delete_account(account_id: int):
    try:
        account = accounts.get_account(account_id)
    except AdminActionError as error:
        return _failed(error, account_id)
    if request.method == "GET":
        return render_template("idp/admin/account_delete.html", account=account)
    try:
        trace = data_rights.delete_account(
            account_id, admin_id=g.admin.id, now=clock.now(), ip_address=request.remote_addr
        )
    except AdminActionError as error:
        return _failed(error, account_id)
    flash(
        _(
            "Le compte est supprimé avec ses données personnelles. Le journal en garde une "
            "trace sous le pseudonyme %(pseudonym)s.",
            pseudonym=trace,
        ),
        "success",
    )
    return redirect(url_for("admin.accounts"))


@bp.post("/comptes/<int:account_id>/double-authentification/reinitialiser")
def reset_second_factor(account_id: int):
    """The member lost their phone: their app, SMS choice and recovery codes are forgotten."""
    try:
        account = accounts.reset_second_factor(
            account_id, admin_id=g.admin.id, ip_address=request.remote_addr
        )
    except AdminActionError as error:
        return _failed(error, account_id)
    return _done(
        account_id,
        _("La double authentification de %(email)s est réinitialisée.", email=account.email),
    )
