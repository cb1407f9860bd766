"""Phone verification, the second step of a sign-in (or a step-up), and the security page
where a member sets up an authenticator app, SMS codes and recovery codes.

Views stay thin: they read the form, call one function of ``service``, render or redirect.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from .. import clock, sso
from ..mail.outbox import send_after_response
from ..models import Account, PhoneCodePurpose
from ..security.ratelimit import TooManyAttemptsError, configured, limited
from ..settings import settings
from . import phone_codes, policy, recovery, service
from .forms import AppCodeForm, ButtonForm, RecoveryCodeForm, SetupCodeForm, SmsCodeForm

bp = Blueprint("mfa", __name__)

# A sign-in whose password was right and whose second factor is awaited (never a session).
PENDING_KEY = "mfa_pending"
PENDING_SECONDS = int(phone_codes.CODE_TTL.total_seconds())
FORMS: dict[str, type[SmsCodeForm | AppCodeForm | RecoveryCodeForm]] = {
    "sms": SmsCodeForm,
    "otp": AppCodeForm,
    "recovery": RecoveryCodeForm,
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _ip() -> str | None:
    return request.remote_addr


def _policy() -> str:
    return settings().mfa


def begin_second_step(account: Account):
    """After the right password: keep the sign-in pending and ask for the second factor.

    The first SMS code leaves with this POST (the password's), never with a GET of the
    second-step page: prefetches, link scanners and reloads must not send paid SMS.
    """
    session[PENDING_KEY] = {
        "account_id": account.id,
        "since": int(clock.now().timestamp()),
        "stamp": sso.password_stamp(account),
    }
    outbox_ids: list[int] = []
    if policy.login_method(account) == "sms" and service.login_code_needed(account, clock.now()):
        outbox_ids = _send_code(account, PhoneCodePurpose.LOGIN)
    return send_after_response(redirect(url_for("mfa.second_factor")), outbox_ids)


def _pending_account() -> Account | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    account = service.find_account(pending.get("account_id"))
    fresh = int(clock.now().timestamp()) - int(pending.get("since") or 0) < PENDING_SECONDS
    if (
        account is None
        or not account.is_active
        or not fresh
        or pending.get("stamp") != sso.password_stamp(account)
    ):
        session.pop(PENDING_KEY, None)
        return None
    return account


def _who() -> tuple[Account, bool] | None:
    """The account whose second factor is asked, and whether it is a pending sign-in."""
    account = _pending_account()
    if account is not None:
        return account, True
    account = sso.signed_in_account()
    return (account, False) if account is not None else None


ERRORS = {
    "expired": lambda _e: _("Ce code a expiré. Demandez un nouveau code."),
    "exhausted": lambda _e: _("Trop d'essais avec ce code. Demandez un nouveau code."),
    "missing": lambda _e: _("Aucun code n'est en cours. Demandez un nouveau code."),
    "locked": lambda _e: _(
        "Après %(count)s essais infructueux, la connexion à un compte est suspendue pendant "
        "%(minutes)s minutes.",
        count=settings().lockout_threshold,
        minutes=max(settings().lockout_seconds // timedelta(minutes=1), 1),
    ),
}


def _error_text(error) -> str:
    if error.reason in ERRORS:
        return ERRORS[error.reason](error)
    if error.tries_left:
        return _(
            "Ce code n'est pas le bon. Il vous reste %(count)s essai(s).", count=error.tries_left
        )
    return _("Ce code n'est pas le bon.")


def _send_code(account: Account, purpose: PhoneCodePurpose) -> list[int]:
    """Send a code now; the outbox ids (none when the limits refuse, with a message)."""
    try:
        message_id = service.send_phone_code(account, purpose, now=clock.now(), ip_address=_ip())
    except TooManyAttemptsError:
        flash(
            _("Trop de codes demandés. Merci de patienter avant d'en demander un autre."), "error"
        )
        return []
    return [message_id]


# --- Second step of a sign-in, or a step-up ---------------------------------------------------


@bp.route("/connexion/verification", methods=["GET", "POST"])
@limited(configured("IDP_LOGIN_LIMIT_PER_IP"), methods=["POST"])
def second_factor():
    """``Code reçu par SMS``, ``Code de votre application`` or ``Code de secours``."""
    who = _who()
    if who is None:
        return redirect(url_for("account.login"))
    account, pending = who
    has_app = service.confirmed_authenticator(account.id) is not None
    method = request.args.get("methode") or policy.login_method(account)
    if method not in FORMS or (method == "otp" and not has_app):
        method = "sms"
    form = FORMS[method]()
    if form.validate_on_submit():
        try:
            amr = service.check_second_factor(
                account, method, form.code.data, now=clock.now(), ip_address=_ip()
            )
        except service.SecondFactorError as error:
            form.code.errors.append(_error_text(error))
        else:
            return _second_step_done(account, pending, amr)
    # A GET sends nothing: with no code to type, the page offers a button to send one.
    response = render_template(
        "idp/mfa/second_factor.html",
        form=form,
        method=method,
        has_app=has_app,
        phone=service.masked_phone(account.phone),
        resend_form=ButtonForm(),
        code_asked=method != "sms" or _code_shown(account, PhoneCodePurpose.LOGIN),
    )
    status = 422 if request.method == "POST" else 200
    return response, status, NO_STORE


def _code_shown(account: Account, purpose: PhoneCodePurpose) -> bool:
    """Whether the page asks for an SMS code: one can be typed, or a typed one was refused."""
    return request.method == "POST" or phone_codes.live_code_exists(account, purpose, clock.now())


def _second_step_done(account: Account, pending: bool, amr: str):
    now = clock.now()
    if pending:
        session.pop(PENDING_KEY, None)
        sso.sign_in(account, now, methods=policy.methods_after(["pwd"], amr))
    else:
        sso.add_methods(account, policy.methods_after(sso.session_methods(), amr), now, amr)
    return redirect(sso.pop_next(url_for("account.home")))


@bp.post("/connexion/verification/renvoyer")
@limited(configured("IDP_SMS_LIMIT_PER_IP"))
def resend_login_code():
    who = _who()
    if who is None:
        return redirect(url_for("account.login"))
    ButtonForm().validate_on_submit()  # CSRF is checked before the view runs
    outbox_ids = _send_code(who[0], PhoneCodePurpose.LOGIN)
    if outbox_ids:
        flash(_("Un nouveau code vient de vous être envoyé par SMS."), "success")
    return send_after_response(redirect(url_for("mfa.second_factor", methode="sms")), outbox_ids)


# --- Phone verification -----------------------------------------------------------------------


def _signed_in_or_login():
    account = sso.signed_in_account()
    if account is None:
        sso.remember_next(request.full_path if request.method == "GET" else url_for("account.home"))
    return account


@bp.route("/telephone/verification", methods=["GET", "POST"])
@limited(configured("IDP_LOGIN_LIMIT_PER_IP"), methods=["POST"])
def verify_phone():
    """``Code reçu par SMS``, ``Valider``, ``Renvoyer un code``; the member may postpone.

    A GET sends nothing (the first code left with the POST that set the first password, or
    leaves with the ``Envoyer un code`` button)."""
    account = _signed_in_or_login()
    if account is None:
        return redirect(url_for("account.login"))
    if account.phone_verified and request.method == "GET":
        flash(_("Votre numéro de téléphone portable est déjà vérifié."), "info")
        return redirect(sso.pop_next(url_for("account.home")))
    form = SmsCodeForm()
    if form.validate_on_submit():
        try:
            service.verify_phone(account, form.code.data, now=clock.now(), ip_address=_ip())
        except service.PhoneCodeError as error:
            form.code.errors.append(_error_text(error))
        else:
            flash(_("Votre numéro de téléphone portable est vérifié."), "success")
            return redirect(sso.pop_next(url_for("account.home")))
    return render_template(
        "idp/mfa/verify_phone.html",
        form=form,
        phone=service.masked_phone(account.phone),
        button_form=ButtonForm(),
        code_asked=_code_shown(account, PhoneCodePurpose.VERIFY_PHONE),
    ), 422 if request.method == "POST" else 200


@bp.post("/telephone/verification/envoyer")
@limited(configured("IDP_SMS_LIMIT_PER_IP"))
def send_phone_code():
    """Send (or send again) the verification code to the account's mobile."""
    account = _signed_in_or_login()
    if account is None:
        return redirect(url_for("account.login"))
    ButtonForm().validate_on_submit()
    outbox_ids = _send_code(account, PhoneCodePurpose.VERIFY_PHONE)
    if outbox_ids:
        flash(_("Un code vient de vous être envoyé par SMS."), "success")
    return send_after_response(redirect(url_for("mfa.verify_phone")), outbox_ids)


@bp.post("/telephone/verification/plus-tard")
def postpone_phone_verification():
    account = _signed_in_or_login()
    if account is None:
        return redirect(url_for("account.login"))
    ButtonForm().validate_on_submit()
    service.postpone_phone_verification(account, ip_address=_ip())
    flash(
        _("Vous pourrez vérifier votre numéro plus tard depuis la page Sécurité de votre espace."),
        "info",
    )
    return redirect(sso.pop_next(url_for("account.home")))


def ask_phone_verification(account: Account):
    """Right after the first password: a code goes to the mobile and the verification page
    asks for it (the pending destination waits). None when the number is verified already."""
    if account.phone_verified:
        return None
    outbox_ids = _send_code(account, PhoneCodePurpose.VERIFY_PHONE)
    return send_after_response(redirect(url_for("mfa.verify_phone")), outbox_ids)


# --- Security page: app, SMS, recovery codes -------------------------------------------------


def _security_account():
    """The signed-in account, once it gave its second factor in this session if it has one."""
    account = _signed_in_or_login()
    if account is None:
        return None, redirect(url_for("account.login"))
    if account.second_factor and not policy.has_second_factor(sso.session_methods()):
        sso.remember_next(url_for("mfa.security"))
        return None, redirect(url_for("mfa.second_factor"))
    return account, None


@bp.get("/securite")
def security():
    account, refused = _security_account()
    if refused:
        return refused
    return render_template(
        "idp/mfa/security.html",
        account=account,
        has_app=service.confirmed_authenticator(account.id) is not None,
        recovery_left=recovery.remaining(account.id),
        mfa_policy=_policy(),
        button_form=ButtonForm(),
    )


@bp.get("/securite/continuer")
def continue_after_setup():
    return redirect(sso.pop_next(url_for("mfa.security")))


@bp.post("/securite/application")
def start_app_setup():
    account, refused = _security_account()
    if refused:
        return refused
    ButtonForm().validate_on_submit()
    try:
        service.start_app_setup(account, now=clock.now(), ip_address=_ip())
    except service.NotAvailableError:
        flash(_("Une application d'authentification est déjà configurée."), "info")
        return redirect(url_for("mfa.security"))
    return redirect(url_for("mfa.app_setup"))


@bp.route("/securite/application/configurer", methods=["GET", "POST"])
def app_setup():
    """The QR code, the key as text (``Clé secrète``) and ``Code à 6 chiffres``."""
    account, refused = _security_account()
    if refused:
        return refused
    setup = service.app_setup(account)
    if setup is None:
        return redirect(url_for("mfa.security"))
    form = SetupCodeForm()
    if form.validate_on_submit():
        try:
            shown = service.confirm_app_setup(
                account, form.code.data, now=clock.now(), ip_address=_ip()
            )
        except service.SecondFactorError:
            form.code.errors.append(
                _("Ce code ne correspond pas. Vérifiez l'heure de votre téléphone et réessayez.")
            )
        else:
            sso.add_methods(
                account, policy.methods_after(sso.session_methods(), "otp"), clock.now(), "otp"
            )
            return _recovery_codes_page(
                shown, _("Votre application d'authentification est activée.")
            )
    response = render_template("idp/mfa/app_setup.html", form=form, setup=setup)
    return response, 422 if request.method == "POST" else 200, NO_STORE


@bp.get("/securite/application/qr.svg")
def app_qr_code():
    account, refused = _security_account()
    if refused:
        return refused
    setup = service.app_setup(account)
    if setup is None:
        return Response(status=404)
    return Response(service.qr_svg(setup.uri), mimetype="image/svg+xml", headers=NO_STORE)


@bp.post("/securite/sms")
def enable_sms():
    account, refused = _security_account()
    if refused:
        return refused
    ButtonForm().validate_on_submit()
    try:
        shown = service.enable_sms(account, now=clock.now(), ip_address=_ip())
    except service.NotAvailableError:
        flash(_("Vérifiez d'abord votre numéro de téléphone portable."), "error")
        return redirect(url_for("mfa.security"))
    return _recovery_codes_page(shown, _("Un code vous sera envoyé par SMS à chaque connexion."))


@bp.post("/securite/codes-de-secours")
def new_recovery_codes():
    account, refused = _security_account()
    if refused:
        return refused
    ButtonForm().validate_on_submit()
    try:
        shown = service.new_recovery_codes(account, now=clock.now(), ip_address=_ip())
    except service.NotAvailableError:
        return redirect(url_for("mfa.security"))
    return _recovery_codes_page(shown, _("Vos nouveaux codes de secours remplacent les anciens."))


@bp.post("/securite/desactiver")
def remove_second_factor():
    account, refused = _security_account()
    if refused:
        return refused
    ButtonForm().validate_on_submit()
    if account.is_admin and policy.enabled(_policy()):
        flash(_("Les administrateurs doivent garder une double authentification."), "error")
        return redirect(url_for("mfa.security"))
    service.remove_second_factor(account, ip_address=_ip())
    flash(_("La double authentification est désactivée."), "success")
    return redirect(url_for("mfa.security"))


def _recovery_codes_page(shown: list[str], message: str):
    """The ten codes, once: never cached, never shown again."""
    response = render_template("idp/mfa/recovery_codes.html", codes=shown, message=message)
    return response, 200, NO_STORE


def require_admin_second_factor(account: Account):
    """Admins reach the console only with a second factor in this session: sent to give it,
    or, when they have none yet, to set one up first. None when they may pass."""
    if not policy.enabled(_policy()) or policy.has_second_factor(sso.session_methods()):
        return None
    if request.method == "GET":
        sso.remember_next(request.full_path if request.query_string else request.path)
    if account.second_factor is None:
        flash(
            _(
                "La console d'administration demande une double authentification. "
                "Configurez-la pour continuer."
            ),
            "info",
        )
        return redirect(url_for("mfa.security"))
    return redirect(url_for("mfa.second_factor"))
