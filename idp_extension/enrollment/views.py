"""Sign-up, activation link and first password: parse, call one service, render or redirect."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from .. import clock
from ..i18n import current_language
from ..mail.outbox import send_after_response
from ..mfa.views import ask_phone_verification
from ..security import tokens
from ..security.ratelimit import configured, hit, limited
from ..security.sealing import InvalidToken, seal, unseal
from ..settings import settings
from ..sso import pop_next, sign_in
from . import service
from .forms import PasswordForm, ResendForm, SignUpForm
from .phone import as_typed
from .service import (
    AccountAlreadyActiveError,
    AccountDisabledError,
    ActivationExpiredError,
    ActivationInvalidError,
    ConcurrentSignUpError,
    PasswordPolicyError,
    RegistryMismatchError,
)

bp = Blueprint("enrollment", __name__)

# The browser's pending sign-up, so the "email sent" page can offer a new link.
SESSION_KEY = "enrollment_sign_up"
# Longer than any reference (an address has at most 254 characters).
_REFERENCE_LENGTH = 320


def forgot_password_url() -> str:
    return url_for("account.forgot_password")


@bp.context_processor
def legal_links():
    return {
        "legal_notice_url": settings().legal_notice_url or url_for("enrollment.legal_notice"),
        "terms_url": settings().terms_url or url_for("enrollment.terms"),
    }


@bp.route("/inscription", methods=["GET", "POST"])
@limited(configured("IDP_SIGNUP_LIMIT_PER_IP"), methods=["POST"])
def start():
    form = SignUpForm()
    if request.method == "GET" and request.args.get("corriger"):
        _fill_with_pending_sign_up(form)
    if not form.validate_on_submit():
        return _sign_up_page(form, 422 if request.method == "POST" else 200)
    hit("signup-member", form.member_number.data, settings().signup_limit_per_member)
    # Set by the form's validation, which just passed.
    assert form.birth_date and form.normalised_email and form.phone_e164
    try:
        result = service.enroll(
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            birth_date=form.birth_date,
            member_number=form.member_number.data,
            email=form.normalised_email,
            phone=form.phone_e164,
            ip_address=request.remote_addr,
            locale=current_language(),
        )
    except AccountAlreadyActiveError as error:
        return _sign_up_page(form, error.status, already_active=True)
    except (RegistryMismatchError, AccountDisabledError, ConcurrentSignUpError) as error:
        form.form_errors.append(error.describe())
        mismatch = isinstance(error, RegistryMismatchError)
        return _sign_up_page(form, error.status, mismatch=mismatch)
    _remember_sign_up(result.account.id if result.account else None, result.email)
    return send_after_response(redirect(url_for("enrollment.sent")), result.outbox_ids)


def _remember_sign_up(account_id: int | None, email: str) -> None:
    """Keep what the "email sent" page needs, sealed and padded to one length: a session
    cookie is readable by its holder, and must not tell a sign-up that created an account
    from one whose address belonged to someone else (``account_id`` None)."""
    reference = json.dumps({"account": account_id, "email": email}).ljust(_REFERENCE_LENGTH)
    session[SESSION_KEY] = seal(current_app.config["SECRET_KEY"], reference)


def _remembered_sign_up() -> tuple[int | None, str | None]:
    """(account id, email) of this browser's last sign-up; (None, None) if there is none."""
    sealed = session.get(SESSION_KEY)
    if not isinstance(sealed, str):
        return None, None
    try:
        reference = json.loads(unseal(current_app.config["SECRET_KEY"], sealed))
    except (InvalidToken, ValueError):
        return None, None
    return reference.get("account"), reference.get("email")


def _fill_with_pending_sign_up(form: SignUpForm) -> None:
    """ "Corriger mon adresse email" from the "email sent" page: the form comes back as it was
    sent, so the member only fixes the address (signing up again replaces a pending account)."""
    account_id, email = _remembered_sign_up()
    account = service.find_account(account_id)
    if account is not None and not account.is_active:
        form.first_name.data = account.first_name
        form.last_name.data = account.last_name
        form.birth_day.data = f"{account.birth_date.day:02d}"
        form.birth_month.data = f"{account.birth_date.month:02d}"
        form.birth_year.data = str(account.birth_date.year)
        form.member_number.data = account.member_number
        form.country.data, form.phone.data = as_typed(account.phone)
        form.phone_confirm.data = form.phone.data
        email = account.email
    form.email.data = email


def _sign_up_page(
    form: SignUpForm, status: int, already_active: bool = False, mismatch: bool = False
):
    return render_template(
        "idp/enrollment/start.html",
        form=form,
        already_active=already_active,
        mismatch=mismatch,
        login_url=url_for("account.login"),
        forgot_password_url=forgot_password_url(),
    ), status


@bp.get("/inscription/email-envoye")
def sent():
    account_id, email = _remembered_sign_up()
    if account_id is not None:
        account = service.find_account(account_id)
        if account is None:
            return redirect(url_for("enrollment.start"))
        if account.is_active:
            return _already_activated_page()
        email = account.email
    if email is None:
        return redirect(url_for("enrollment.start"))
    return render_template(
        "idp/enrollment/sent.html",
        email=email,
        form=ResendForm(),
        valid_hours=service.activation_valid_hours(),
    )


@bp.post("/inscription/nouveau-lien")
@limited(configured("IDP_NEW_LINK_LIMIT_PER_IP"))
def resend():
    account_id, email = _remembered_sign_up()
    if account_id is None and email is None:
        return redirect(url_for("enrollment.start"))
    hit("resend-activation", str(account_id or email), settings().new_link_limit_per_sign_up)
    try:
        if account_id is None:  # the address was someone else's: its owner is told again
            assert email is not None  # one of the two is remembered (checked above)
            outbox_id = service.warn_address_owner_again(email, ip_address=request.remote_addr)
        else:
            outbox_id = service.resend_activation(account_id, ip_address=request.remote_addr)
    except AccountAlreadyActiveError:
        return _already_activated_page()
    except ActivationInvalidError:
        session.pop(SESSION_KEY, None)
        return redirect(url_for("enrollment.start"))
    flash(
        _("Un nouveau lien vient de vous être envoyé. Les liens précédents ne fonctionnent plus."),
        "success",
    )
    return send_after_response(redirect(url_for("enrollment.sent")), [outbox_id])


@bp.route("/activation/<token>", methods=["GET", "POST"])
@limited(configured("IDP_ACTIVATION_LIMIT_PER_IP"), methods=["POST"])
def activate(token: str):
    # GET never uses the link: mail scanners open links before the member does.
    form = PasswordForm()
    try:
        if form.validate_on_submit():
            try:
                account = service.activate(
                    token, form.password.data, ip_address=request.remote_addr
                )
            except PasswordPolicyError as error:
                form.password.errors.append(error.describe())
            else:
                sign_in(account, clock.now())
                verification = ask_phone_verification(account)
                return verification or redirect(pop_next(url_for("account.home")))
        else:
            service.check_activation(token)
    except ActivationInvalidError:
        return _invalid_link_page()
    except ActivationExpiredError as error:
        page = render_template("idp/enrollment/expired.html", form=ResendForm(), token=token)
        return page, error.status
    except AccountAlreadyActiveError:
        return _already_activated_page()
    status = 422 if request.method == "POST" else 200
    return render_template("idp/enrollment/password.html", form=form), status


@bp.post("/activation/<token>/nouveau-lien")
@limited(configured("IDP_NEW_LINK_LIMIT_PER_IP"))
def renew(token: str):
    hit("renew-activation", tokens.digest(token), settings().new_link_limit_per_sign_up)
    try:
        account, outbox_id = service.renew_activation(token, ip_address=request.remote_addr)
    except ActivationInvalidError:
        return _invalid_link_page()
    except AccountAlreadyActiveError:
        return _already_activated_page()
    _remember_sign_up(account.id, account.email)
    flash(
        _("Un nouveau lien vient de vous être envoyé. Les liens précédents ne fonctionnent plus."),
        "success",
    )
    return send_after_response(redirect(url_for("enrollment.sent")), [outbox_id])


def _invalid_link_page():
    pending = service.find_account(_remembered_sign_up()[0])
    can_resend = pending is not None and not pending.is_active
    return render_template(
        "idp/enrollment/invalid.html", can_resend=can_resend
    ), ActivationInvalidError.status


def _already_activated_page():
    return render_template(
        "idp/enrollment/already_activated.html",
        login_url=url_for("account.login"),
        forgot_password_url=forgot_password_url(),
    )


@bp.get("/mentions-legales")
def legal_notice():
    return render_template("idp/enrollment/legal_notice.html")


@bp.get("/conditions-generales")
def terms():
    return render_template("idp/enrollment/terms.html")


@bp.get("/accessibilite")
def accessibility():
    """The accessibility statement, in the shape RGAA 4.1 asks of French public-facing sites."""
    return render_template("idp/enrollment/accessibility.html")


@bp.get("/contact")
def contact():
    return render_template("idp/enrollment/contact.html")
