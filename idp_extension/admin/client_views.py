"""Console pages for one relying party: its settings and a new secret."""

from __future__ import annotations

from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..oidc.clients import ClientRegistrationError
from . import clients
from .errors import AdminActionError
from .forms import ClientSettingsForm
from .views import _action_failed, bp


def _client_or_list(client_pk: int):
    try:
        return clients.get_client(client_pk), None
    except AdminActionError as error:
        return None, _action_failed(error, "admin.clients")


@bp.route("/clients/<int:client_pk>", methods=["GET", "POST"])
def client(client_pk: int):
    found, refused = _client_or_list(client_pk)
    if refused:
        return refused
    form = ClientSettingsForm(obj=None if request.method == "POST" else found)
    if request.method == "GET":
        form.redirect_uris.data = "\n".join(found.redirect_uris or [])
        form.post_logout_uris.data = "\n".join(found.post_logout_redirect_uris or [])
    elif form.validate_on_submit():
        try:
            _saved, changed = clients.edit_client(
                client_pk,
                name=form.name.data,
                redirect_uris=form.redirect_uri_list(),
                post_logout_uris=form.post_logout_uri_list(),
                scopes=form.scopes.data,
                first_party=form.first_party.data,
                admin_id=g.admin.id,
                ip_address=request.remote_addr,
            )
        except ClientRegistrationError as error:
            form.form_errors.append(
                _("Ces réglages ne peuvent pas être enregistrés : %(reason)s", reason=str(error))
            )
        except AdminActionError as error:
            return _action_failed(error, "admin.clients")
        else:
            flash(
                _("Modifications enregistrées.") if changed else _("Aucune modification."),
                "success",
            )
            return redirect(url_for("admin.client", client_pk=client_pk))
    status = 422 if request.method == "POST" else 200
    return render_template("idp/admin/client.html", client=found, form=form), status


@bp.route("/clients/<int:client_pk>/secret", methods=["GET", "POST"])
def regenerate_client_secret(client_pk: int):
    """GET asks for confirmation (the old secret stops working at once); POST does it."""
    found, refused = _client_or_list(client_pk)
    if refused:
        return refused
    if request.method == "GET":
        return render_template("idp/admin/client_secret_confirm.html", client=found)
    try:
        regenerated, secret = clients.regenerate_secret(
            client_pk, admin_id=g.admin.id, ip_address=request.remote_addr
        )
    except AdminActionError as error:
        return _action_failed(error, "admin.client", client_pk=client_pk)
    # The new secret is in this one answer only: no cache may keep it.
    response = make_response(
        render_template(
            "idp/admin/client_created.html", client=regenerated, secret=secret, regenerated=True
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response
