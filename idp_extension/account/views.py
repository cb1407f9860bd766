"""Login, logout, home (profile, active sessions, authorised applications), forgotten password
and a new activation link.

Views stay thin: they read the form, call one function of ``service``, and render or redirect.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from .. import clock, sso, urls
from ..error_pages import render_error
from ..mfa import policy
from ..mfa.views import begin_second_step
from ..oidc import consent
from ..security.ratelimit import configured, hit, limited
from ..settings import settings
from . import mail_requests, service
from .forms import (
    ChangePasswordForm,
    ConfirmForm,
    EmailOnlyForm,
    EndOtherSessionsForm,
    LoginForm,
    NewPasswordForm,
    WithdrawConsentForm,
)
from .pause import signin_pause

bp = Blueprint("account", __name__)


# Reset links that cannot be used: "unknown" is 404, spent or expired ones are gone (410).
def _ip() -> str | None:
    return request.remote_addr


def _signup_url() -> str:
    return url_for("enrollment.start")


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail: the public base URL (IDP_ISSUER) and the endpoint's path."""
    return urls.public_url(endpoint, **values)


def _remember_requested_next() -> None:
    wanted = request.args.get("next")
    if wanted:
        sso.remember_next(wanted)  # ignored unless it is a path of this provider


@bp.get("/")
def home():
    account = sso.signed_in_account()
    if account is None:
        return redirect(url_for("account.login"))
    return _home_page(account)


def _home_page(account, *, password_form=None, status=200):
    """The account page: profile, password change, active sessions, authorised applications."""
    return render_template(
        "idp/account/home.html",
        account=account,
        password_form=password_form or ChangePasswordForm(),
        logout_form=ConfirmForm(),
        sessions=service.active_sessions(
            account, now=clock.now(), current_digest=sso.current_session_digest()
        ),
        end_sessions_form=EndOtherSessionsForm(),
        accesses=consent.granted_accesses(account.id),
        withdraw_form=WithdrawConsentForm(),
    ), status


@bp.post("/connexions/deconnecter-les-autres")
def end_other_sessions():
    """Sign out every other browser of this account; this one stays signed in."""
    account = sso.signed_in_account()
    if account is None:
        return redirect(url_for("account.login"))
    EndOtherSessionsForm().validate_on_submit()  # CSRF is checked before the view runs
    current = sso.current_session_digest()
    assert current is not None  # signed in: this browser's cookie names its session
    ended = service.end_other_sessions(
        account.id, current_digest=current, now=clock.now(), ip_address=_ip()
    )
    if ended:
        flash(_("Vos autres appareils ont été déconnectés."), "success")
    else:
        flash(_("Aucun autre appareil n'était connecté."), "info")
    return redirect(url_for("account.home", _anchor="sessions"))


@bp.post("/autorisations/retirer")
def withdraw_consent():
    """Withdraw the consent given to one application; its tokens stop working."""
    account = sso.signed_in_account()
    if account is None:
        return redirect(url_for("account.login"))
    form = WithdrawConsentForm()
    if not form.validate_on_submit():
        return render_error(400)
    # ConsentNotFoundError (none given, or already withdrawn) is the provider's 404 page.
    withdrawal = consent.withdraw_consent(
        account.id, form.client_id.data, now=clock.now(), ip_address=_ip()
    )
    flash(
        _("L'autorisation donnée à %(client)s est retirée.", client=withdrawal.client_name),
        "success",
    )
    return redirect(url_for("account.home", _anchor="applications"))


@bp.post("/mot-de-passe")
@limited(configured("IDP_LOGIN_LIMIT_PER_IP"))
def change_password():
    account = sso.signed_in_account()
    if account is None:
        return redirect(url_for("account.login"))
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(
                account, form.current.data, form.password.data, now=clock.now(), ip_address=_ip()
            )
        except service.AccountLockedError:
            form.current.errors.append(
                _(
                    "Après %(count)s essais infructueux, la connexion à un compte est suspendue "
                    "pendant %(minutes)s minutes.",
                    count=settings().lockout_threshold,
                    minutes=max(settings().lockout_seconds // timedelta(minutes=1), 1),
                )
            )
        except service.WrongCurrentPasswordError:
            form.current.errors.append(_("Le mot de passe actuel est incorrect."))
        else:
            # This browser stays signed in with the new password; every other session ends.
            sso.sign_in(account, clock.now())
            flash(_("Votre mot de passe a été changé."), "success")
            return redirect(url_for("account.home"))
    return _home_page(account, password_form=form, status=422)


@bp.route("/connexion", methods=["GET", "POST"])
@limited(configured("IDP_LOGIN_LIMIT_PER_IP"), methods=["POST"])
def login():
    """Sign in with email and password; also re-authentication when a session exists."""
    _remember_requested_next()
    form = LoginForm()
    if request.method == "GET" and request.args.get("login_hint"):
        form.email.data = request.args["login_hint"][:254]
    failed = paused = membership_ended = False
    if form.validate_on_submit():
        address = service.normalise_email(form.email.data)
        hit("login-email", address, settings().login_limit_per_email)
        pause = signin_pause()
        if pause.is_paused(address, clock.now()):
            paused = True  # not even checked: the right password gets this answer too
        else:
            try:
                account = service.authenticate(
                    form.email.data, form.password.data, now=clock.now(), ip_address=_ip()
                )
            except service.MembershipEndedError:
                membership_ended = True  # the right password: told why, not counted
            except service.LoginFailedError:
                failed = True
                paused = pause.record_failure(address, clock.now())
            else:
                pause.forget(address)
                if policy.asked_at_sign_in(account, settings().mfa):
                    return begin_second_step(account)
                sso.sign_in(account, clock.now())
                return redirect(sso.pop_next(url_for("account.home")))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "idp/account/login.html",
        form=form,
        failed=failed and not paused,
        paused=paused,
        membership_ended=membership_ended,
        signup_url=_signup_url(),
        current_account=sso.signed_in_account(),
        lockout_threshold=settings().lockout_threshold,
        lockout_minutes=signin_pause().minutes,
    ), status


@bp.route("/deconnexion", methods=["GET", "POST"])
def logout():
    """GET asks for confirmation; POST (with its CSRF token) ends the session."""
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        account = sso.signed_in_account()
        if account is not None:
            service.record_logout(account.id, ip_address=_ip())
        sso.sign_out()
        flash(_("Votre session est fermée."), "success")
        return redirect(url_for("account.login"))
    if request.method == "POST":
        return render_template("idp/account/logout.html", form=form), 400
    return render_template(
        "idp/account/logout.html", form=form, current_account=sso.signed_in_account()
    )


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limited(configured("IDP_MAIL_LIMIT_PER_IP"), methods=["POST"])
def forgot_password():
    """Always the same answer, whether an account has this address or not."""
    form = EmailOnlyForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"][:254]
    if form.validate_on_submit():
        hit(
            "reset-email",
            service.normalise_email(form.email.data),
            settings().mail_limit_per_email,
        )
        # Recorded as typed, the same for every address: the worker does the rest, so
        # neither this answer nor the next one on a kept-alive connection tells them apart.
        mail_requests.record(mail_requests.PASSWORD_RESET, form.email.data, ip_address=_ip())
        return render_template(
            "idp/account/forgot_password_sent.html",
            email=form.email.data,
            valid_minutes=max(settings().reset_ttl // timedelta(minutes=1), 1),  # as the mail says
        )
    status = 422 if request.method == "POST" else 200
    return render_template("idp/account/forgot_password.html", form=form), status


@bp.route("/mot-de-passe-oublie/<token>", methods=["GET", "POST"])
@limited(configured("IDP_MAIL_LIMIT_PER_IP"), methods=["POST"])
def reset_password(token: str):
    """The page behind the mailed link: choose a new password, once."""
    try:
        service.check_reset_token(token, now=clock.now())
    except service.ResetLinkError as error:
        return _reset_link_refused(error)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            account = service.reset_password(
                token, form.password.data, now=clock.now(), ip_address=_ip()
            )
        except service.ResetLinkError as error:
            return _reset_link_refused(error)
        signin_pause().lift(service.normalise_email(account.email))  # the way out of a pause
        sso.sign_in(account, clock.now())
        flash(_("Votre nouveau mot de passe est enregistré. Votre session est ouverte."), "success")
        return redirect(sso.pop_next(url_for("account.home")))
    status = 422 if request.method == "POST" else 200
    return render_template("idp/account/reset_password.html", form=form), status


def _reset_link_refused(error: service.ResetLinkError):
    return render_template("idp/account/reset_link_invalid.html", reason=error.reason), error.status


@bp.route("/activation/renvoyer", methods=["GET", "POST"])
@limited(configured("IDP_MAIL_LIMIT_PER_IP"), methods=["POST"])
def resend_activation():
    """A new activation link for an account not yet activated; the same answer for any address."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        hit(
            "resend-email",
            service.normalise_email(form.email.data),
            settings().mail_limit_per_email,
        )
        mail_requests.record(mail_requests.ACTIVATION, form.email.data, ip_address=_ip())
        return render_template("idp/account/resend_activation_sent.html", email=form.email.data)
    status = 422 if request.method == "POST" else 200
    return render_template("idp/account/resend_activation.html", form=form), status
