"""The admin console under /admin: registry, accounts, clients, keys, outgoing mail, audit log.

Only signed-in admins: anonymous visitors are sent to the login page (and back), other members
get 403. Every change is a POST carrying its CSRF token.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from .. import clock, sso
from ..mail import outbox
from ..mfa.views import require_admin_second_factor
from ..oidc.clients import ClientRegistrationError
from . import service
from .dashboard import dashboard as dashboard_figures
from .forms import ActionForm, ClientForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_admin():
    account = sso.signed_in_account()
    if account is None:
        if request.method == "GET":  # a form post cannot be replayed after the login
            sso.remember_next(request.full_path if request.query_string else request.path)
        return redirect(url_for("account.login"))
    if not account.is_admin:
        abort(403)
    refused = require_admin_second_factor(account)
    if refused is not None:
        return refused
    g.admin = account


def _action_failed(error: service.AdminActionError, endpoint: str, **values):
    flash(error.describe(), "error")
    return redirect(url_for(endpoint, **values))


@bp.context_processor
def console_context():
    # formdata=None: only its CSRF token is rendered, and reading the request body here would
    # fail again while an error page (413, broken encoding) is being rendered.
    return {"action_form": ActionForm(formdata=None)}


@bp.get("/")
def dashboard():
    return render_template("idp/admin/dashboard.html", board=dashboard_figures(clock.now()))


@bp.get("/courriers")
def mail():
    return render_template("idp/admin/mail.html", messages=service.list_outbox())


@bp.post("/courriers/<int:message_id>/renvoyer")
def retry_mail(message_id: int):
    try:
        message = service.retry_mail(
            message_id, admin_id=g.admin.id, ip_address=request.remote_addr
        )
    except service.AdminActionError as error:
        return _action_failed(error, "admin.mail")
    flash(
        _(
            "Le message à %(recipient)s est de nouveau en file d'envoi.",
            recipient=message.recipient,
        ),
        "success",
    )
    return outbox.send_after_response(redirect(url_for("admin.mail")), [message.id])


@bp.get("/clients")
def clients():
    return render_template(
        "idp/admin/clients.html", clients=service.list_clients(), form=ClientForm()
    )


@bp.post("/clients")
def create_client():
    form = ClientForm()
    if form.validate_on_submit():
        try:
            client, secret = service.create_client(
                name=form.name.data,
                redirect_uris=form.redirect_uri_list(),
                post_logout_uris=form.post_logout_uri_list(),
                public=form.public.data,
                auth_method=form.auth_method.data,
                first_party=form.first_party.data,
                scopes=form.scopes.data,
                admin_id=g.admin.id,
                ip_address=request.remote_addr,
            )
        except ClientRegistrationError as error:
            form.form_errors.append(
                _("Cette application ne peut pas être enregistrée : %(reason)s", reason=str(error))
            )
        else:
            return render_template("idp/admin/client_created.html", client=client, secret=secret)
    return render_template("idp/admin/clients.html", clients=service.list_clients(), form=form), 422


@bp.post("/clients/<int:client_pk>/desactiver")
def disable_client(client_pk: int):
    return _set_client_enabled(client_pk, False)


@bp.post("/clients/<int:client_pk>/reactiver")
def enable_client(client_pk: int):
    return _set_client_enabled(client_pk, True)


def _set_client_enabled(client_pk: int, enabled: bool):
    try:
        client = service.set_client_enabled(
            client_pk, enabled, admin_id=g.admin.id, now=clock.now(), ip_address=request.remote_addr
        )
    except service.AdminActionError as error:
        return _action_failed(error, "admin.clients")
    message = (
        _("L'application %(name)s est réactivée.", name=client.name)
        if enabled
        else _("L'application %(name)s est désactivée.", name=client.name)
    )
    flash(message, "success")
    return redirect(url_for("admin.clients"))


@bp.get("/cles")
def keys():
    return render_template("idp/admin/keys.html", keys=service.list_signing_keys())


@bp.post("/cles/rotation")
def rotate_keys():
    emergency = request.form.get("emergency") == "y"
    created, _retired = service.rotate_signing_keys(
        admin_id=g.admin.id, ip_address=request.remote_addr, emergency=emergency
    )
    kids = ", ".join(key.kid for key in created)
    if emergency:
        message = _(
            "Rotation d'urgence : la clé %(kids)s signe dès maintenant et les anciennes ne sont "
            "plus publiées. Les applications qui ont gardé l'ancien JWKS refusent les nouveaux "
            "jetons jusqu'à leur prochaine lecture (5 minutes au plus).",
            kids=kids,
        )
    else:
        message = _(
            "Nouvelle clé publiée : %(kids)s. Elle signera à partir du %(when)s, quand toutes "
            "les applications l'auront lue ; les anciennes restent publiées le temps que leurs "
            "jetons expirent.",
            kids=kids,
            when=(created[0].activates_at or created[0].created_at).strftime("%d/%m/%Y %H:%M"),
        )
    flash(message, "success")
    return redirect(url_for("admin.keys"))


# The console's other pages join this blueprint when their modules are imported.
from . import account_views, audit_views, client_views, member_views  # noqa: E402,F401
