"""OpenID Connect endpoints: discovery, JWKS, authorize, token, userinfo, revocation,
introspection, end-session and the consent answer."""

from __future__ import annotations

import base64
import binascii

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm

from .. import sso, urls
from ..errors import answers_json, json_error
from ..i18n import N_
from ..mfa.policy import ACR_VALUES
from ..settings import settings
from . import authorize as authorization
from . import keys, server_metadata
from .authorize import RelyingPartyRequestError
from .claims import CLAIM_DESCRIPTIONS, SCOPE_DESCRIPTIONS, SUPPORTED_CLAIMS, SUPPORTED_SCOPES
from .published import published
from .server import OAuth2Error, current_server

bp = Blueprint("oidc", __name__)

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


LOGOUT_INVALID = N_("La demande de déconnexion est invalide.")


class ConfirmForm(FlaskForm):
    """Carries the CSRF token of the consent and logout confirmation pages."""


def _check_form_post() -> Response | None:
    """Shape checks shared by the back-channel endpoints (RFC 6749 3.2, 7009 2.1, 7662 2.1)."""
    if request.mimetype != FORM_CONTENT_TYPE:
        return json_error("invalid_request", f"The body must be {FORM_CONTENT_TYPE}.")
    if request.args:
        return json_error("invalid_request", "Parameters must be sent in the request body.")
    for name in request.form:
        if len(request.form.getlist(name)) > 1:
            return json_error("invalid_request", f"Repeated parameter: {name}.")
    header = request.headers.get("Authorization", "")
    if header and "client_secret" in request.form:
        # RFC 6749 2.3: one client authentication method per request.
        return json_error("invalid_request", "Use one client authentication method.")
    scheme, *credentials = header.split(None, 1) or [""]  # as Authlib splits it
    if scheme.lower() == "basic":
        try:
            # "Basic" with nothing after it made Authlib's own split fail (a 500).
            if not credentials:
                raise ValueError("no credentials")
            base64.b64decode(credentials[0].strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return json_error(
                "invalid_client",
                "Malformed Basic credentials.",
                401,
                {"WWW-Authenticate": 'Basic error="invalid_client"'},
            )
    return None


@bp.get("/.well-known/openid-configuration")
@answers_json
def discovery():
    """OpenID Connect Discovery 1.0 section 3 (and RFC 8414 fields), built once per app."""
    return published().discovery(_discovery_document).response(request)


def _discovery_document() -> dict:
    return {
        "issuer": urls.issuer(),
        "authorization_endpoint": urls.public_url("oidc.authorize"),
        "token_endpoint": urls.public_url("oidc.token"),
        "userinfo_endpoint": urls.public_url("oidc.userinfo"),
        "jwks_uri": urls.public_url("oidc.jwks"),
        "revocation_endpoint": urls.public_url("oidc.revoke"),
        "introspection_endpoint": urls.public_url("oidc.introspect"),
        "end_session_endpoint": urls.public_url("oidc.end_session"),
        "scopes_supported": list(SUPPORTED_SCOPES),
        "claims_supported": list(SUPPORTED_CLAIMS),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        **server_metadata.auth_methods(),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(keys.SUPPORTED_ALGORITHMS),
        "prompt_values_supported": ["none", "login", "consent", "create"],
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "acr_values_supported": list(ACR_VALUES),
        "ui_locales_supported": list(settings().languages),
        "claim_types_supported": ["normal"],
        "display_values_supported": ["page", "popup", "touch"],
    }


@bp.get("/jwks.json")
@answers_json
def jwks():
    """The public keys verifying our ID tokens (RFC 7517), retired ones until their tokens end."""
    now = current_app.extensions["idp"].clock.now()
    return published().jwks(now, _key_set).response(request)


def _key_set(now):
    return keys.jwks(), keys.next_key_set_change(now)


def _outcome_response(outcome: authorization.Outcome):
    if isinstance(outcome, authorization.RedirectToRP):
        return outcome.response
    if isinstance(outcome, authorization.ErrorPage):
        raise RelyingPartyRequestError(outcome.message, outcome.detail)
    if isinstance(outcome, authorization.SignInNeeded):
        hint = outcome.login_hint
        return redirect(
            url_for("account.login", login_hint=hint) if hint else url_for("account.login")
        )
    if isinstance(outcome, authorization.SignUpNeeded):
        return redirect(url_for("enrollment.start"))
    if isinstance(outcome, authorization.SecondFactorNeeded):
        return redirect(url_for("mfa.second_factor"))
    descriptions = [SCOPE_DESCRIPTIONS[s] for s in outcome.scopes if s in SCOPE_DESCRIPTIONS]
    # Claims the relying party asked for by name (OIDC Core 5.5), beyond its scopes.
    descriptions += [CLAIM_DESCRIPTIONS[name] for name in outcome.claims]
    return render_template(
        "idp/oidc/consent.html",
        client=outcome.client,
        descriptions=descriptions,
        params=outcome.params,
        form=ConfirmForm(),
    )


@bp.route("/authorize", methods=["GET", "POST"])
def authorize():
    """OIDC Core 3.1.2.1: GET or a form POST from the relying party (hence no CSRF token)."""
    if request.method == "POST" and request.mimetype != FORM_CONTENT_TYPE:
        raise RelyingPartyRequestError(detail="The body must be form-encoded.")
    outcome = authorization.decide(
        request.values,
        sso.signed_in_account(),
        url_for("oidc.authorize"),
        ip_address=request.remote_addr,
    )
    return _outcome_response(outcome)


@bp.post("/authorize/decision")
def decide_consent():
    """The member's answer on our consent page (CSRF-protected)."""
    decision = "allow" if request.form.get("decision") == "allow" else "deny"
    account = sso.signed_in_account()
    outcome = authorization.decide(
        request.form,
        account,
        url_for("oidc.authorize"),
        decision=decision if account else None,
        ip_address=request.remote_addr,
    )
    return _outcome_response(outcome)


@bp.post("/token")
@answers_json
def token():
    """RFC 6749 3.2: authorization_code and refresh_token grants."""
    refused = _check_form_post()
    if refused is not None:
        return refused
    if not request.form.get("grant_type"):
        return json_error("invalid_request", "Missing 'grant_type'.")
    return current_server().authorization.create_token_response()


@bp.route("/userinfo", methods=["GET", "POST"])
@answers_json
def userinfo():
    """OIDC Core 5.3, bearer token in the header or (form POST) in the body."""
    if (
        request.method == "POST"
        and request.content_length
        and request.mimetype != FORM_CONTENT_TYPE
    ):
        return json_error("invalid_request", f"The body must be {FORM_CONTENT_TYPE}.")
    return current_server().authorization.create_endpoint_response("userinfo")


@bp.post("/revoke")
@answers_json
def revoke():
    """RFC 7009."""
    return _form_endpoint("revocation")


@bp.post("/introspect")
@answers_json
def introspect():
    """RFC 7662."""
    return _form_endpoint("introspection")


def _form_endpoint(name: str):
    """A client-authenticated endpoint taking a form POST (RFC 7009 2.1, RFC 7662 2.1)."""
    refused = _check_form_post()
    if refused is not None:
        return refused
    return current_server().authorization.create_endpoint_response(name)


@bp.route("/logout", methods=["GET", "POST"])
def end_session():
    """RP-Initiated Logout 1.0 section 2: GET or a form POST from the relying party."""
    server = current_server().authorization
    try:
        logout_request = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        raise RelyingPartyRequestError(LOGOUT_INVALID, error.description or "") from error
    account = sso.signed_in_account()
    claims = logout_request.id_token_claims
    if claims is None or (account is not None and claims.get("sub") != account.subject):
        params = authorization.request_params(request.values)
        return render_template(
            "idp/oidc/logout.html", client=logout_request.client, params=params, form=ConfirmForm()
        )
    return _finish_logout(logout_request)


@bp.post("/logout/confirm")
def confirm_logout():
    """The member confirmed on our page (CSRF-protected): end the session."""
    server = current_server().authorization
    try:
        logout_request = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        raise RelyingPartyRequestError(LOGOUT_INVALID, error.description or "") from error
    return _finish_logout(logout_request)


def _finish_logout(logout_request):
    response = current_server().authorization.create_endpoint_response(
        "end_session", logout_request
    )
    if response is not None:
        return response
    return render_template("idp/oidc/logged_out.html")


# A host's own CSRFProtect must leave these alone (security.csrf.EXEMPT_ENDPOINTS are ours).
EXEMPT_FROM_CSRF = (authorize, token, userinfo, revoke, introspect, jwks, end_session)
