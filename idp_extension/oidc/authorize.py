"""The authorization endpoint's decisions (OIDC Core 3.1.2): who must sign in, consent, or be
sent back with a code or an error.

``decide`` reads the request parameters and the SSO session and returns one outcome; the view
turns it into a page or a redirect. Errors that cannot safely go back to the relying party
(unknown client, unregistered redirect URI) become an error page here, never a redirect.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import session
from werkzeug.datastructures import MultiDict

from .. import clock, sso
from ..errors import IdpError
from ..i18n import N_
from ..mfa import policy
from ..models import Account
from ..models.oauth import OAuthClient
from ..settings import settings
from . import claims as oidc_claims
from . import keys
from .consent import consent_needed, grant_consent, record_refusal
from .server import (
    AccessDeniedError,
    ConsentRequiredError,
    InvalidRequestError,
    LoginRequiredError,
    OAuth2Error,
    RequestNotSupportedError,
    RequestURINotSupportedError,
    current_server,
    error_response,
    query_client,
)

# Form fields of our own consent page, not part of the relying party's request.
OWN_FIELDS = ("csrf_token", "decision")
# Longest accepted value per parameter; longer ones are refused, not truncated.
MAX_LENGTHS = {
    "id_token_hint": 8192,
    "claims": oidc_claims.MAX_CLAIMS_PARAMETER,
    "redirect_uri": 2000,
}
DEFAULT_MAX_LENGTH = 1024
PENDING_KEY = "pending_authorization"
AWAITING_SIGN_IN_KEY = "oidc_awaiting_sign_in"


class RelyingPartyRequestError(IdpError):
    """An authorization or logout request that cannot be answered to its relying party (no
    trusted redirect URI): shown at the provider, with the technical ``detail`` in English."""

    code, status = "invalid_request", 400
    message = N_("La demande de connexion est invalide.")
    template = "idp/oidc/error.html"

    def __init__(self, message: str | None = None, detail: str = ""):
        super().__init__(detail)
        if message:
            self.message = message
        self.detail = detail


@dataclass
class ErrorPage:
    """Shown at the provider (400): the relying party cannot be trusted with a redirect."""

    message: str
    detail: str = ""


@dataclass
class RedirectToRP:
    response: object  # a Flask response redirecting to the relying party


@dataclass
class SignInNeeded:
    login_hint: str | None = None


@dataclass
class SignUpNeeded:
    pass


@dataclass
class SecondFactorNeeded:
    """Signed in with the password only, and this request wants a second factor (step-up)."""


@dataclass
class ConsentNeeded:
    client: OAuthClient
    scopes: list[str]
    params: list[tuple[str, str]] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)  # asked for beyond the scopes


Outcome = (
    ErrorPage | RedirectToRP | SignInNeeded | SignUpNeeded | SecondFactorNeeded | ConsentNeeded
)


def _shown(name: str) -> str:
    """A parameter name fit for error_description (RFC 6749 allows printable ASCII only)."""
    if len(name) <= 40 and all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in name):
        return f"'{name}'"
    return "a parameter"


def has_control_characters(value: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value)


def request_params(values: MultiDict) -> list[tuple[str, str]]:
    """The relying party's parameters, in order, without our own form fields."""
    return [(k, v) for k, v in values.items(multi=True) if k not in OWN_FIELDS]


def request_key(params: list[tuple[str, str]]) -> str:
    canonical = urlencode(sorted(params))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _redirect_error(error: OAuth2Error, redirect_uri: str, state: str | None) -> RedirectToRP:
    error.redirect_uri = redirect_uri
    error.state = state
    _forget_pending()
    return RedirectToRP(error_response(error))


def _forget_pending() -> None:
    session.pop(PENDING_KEY, None)
    session.pop(AWAITING_SIGN_IN_KEY, None)


def park(params: list[tuple[str, str]], authorize_path: str, *, create: bool) -> None:
    """Keep the request so the login or sign-up journey comes back to it (as a GET URL)."""
    key = request_key(params)
    session[PENDING_KEY] = {"key": key, "create": create}
    # sign_in() clears every session key but a few: this one vanishing proves a fresh sign-in.
    session[AWAITING_SIGN_IN_KEY] = key
    sso.remember_next(f"{authorize_path}?{urlencode(params)}")


def _parked(key: str) -> dict | None:
    pending = session.get(PENDING_KEY)
    return pending if isinstance(pending, dict) and pending.get("key") == key else None


def _check_client_and_redirect(values: MultiDict) -> tuple[OAuthClient, str] | ErrorPage:
    for name in ("client_id", "redirect_uri"):
        if len(values.getlist(name)) > 1:
            return ErrorPage(
                N_("La demande de connexion est invalide."), f"Parameter '{name}' is repeated."
            )
    client_id = values.get("client_id")
    if not client_id:
        return ErrorPage(N_("La demande de connexion est invalide."), "Missing 'client_id'.")
    client = query_client(client_id)
    if client is None:
        return ErrorPage(
            N_("Le service qui vous a envoyé ici n'est pas reconnu."), "Unknown client."
        )
    redirect_uri = values.get("redirect_uri")
    if not redirect_uri:
        return ErrorPage(N_("La demande de connexion est invalide."), "Missing 'redirect_uri'.")
    if not client.check_redirect_uri(redirect_uri):
        return ErrorPage(
            N_("La demande de connexion est invalide."),
            "The redirect URI is not registered for this client.",
        )
    return client, redirect_uri


def decide(
    values: MultiDict,
    account: Account | None,
    authorize_path: str,
    decision: str | None = None,
    ip_address: str | None = None,
) -> Outcome:
    """Process one authorization request (GET, POST, or our consent form's answer)."""
    checked = _check_client_and_redirect(values)
    if isinstance(checked, ErrorPage):
        return checked
    client, redirect_uri = checked
    params = request_params(values)
    states = values.getlist("state")
    state = states[0] if len(states) == 1 else None

    def fail(error: OAuth2Error) -> RedirectToRP:
        return _redirect_error(error, redirect_uri, state)

    repeated = sorted({k for k, _ in params if len(values.getlist(k)) > 1})
    if repeated:
        return fail(InvalidRequestError(f"Repeated parameter: {_shown(repeated[0])}."))
    for name, value in params:
        if len(value) > MAX_LENGTHS.get(name, DEFAULT_MAX_LENGTH):
            return fail(InvalidRequestError(f"Parameter {_shown(name)} is too long."))
        if has_control_characters(value):
            # PostgreSQL cannot even store or compare a text holding NUL (the nonce is both).
            return fail(
                InvalidRequestError(f"Parameter {_shown(name)} contains control characters.")
            )
    if "request" in values:
        return fail(RequestNotSupportedError("Request objects are not supported."))
    if "request_uri" in values:
        return fail(RequestURINotSupportedError("Request URIs are not supported."))
    if values.get("response_mode", "query") != "query":
        return fail(InvalidRequestError("Only response_mode=query is supported."))

    prompts = set(values.get("prompt", "").split())
    if "none" in prompts and len(prompts) > 1:
        return fail(InvalidRequestError("prompt=none cannot be combined with other values."))
    max_age = values.get("max_age")
    if max_age is not None:
        if not max_age.isascii() or not max_age.isdigit():
            return fail(InvalidRequestError("max_age must be a non-negative integer."))
        max_age = int(max_age)
    try:
        claims_request = oidc_claims.parse_claims_request(values.get("claims"))
    except oidc_claims.ClaimsRequestError as error:
        return fail(InvalidRequestError(str(error)))
    hint_subject = None
    if values.get("id_token_hint"):
        hint = keys.verify_own_id_token(values["id_token_hint"])
        if hint is None:
            return fail(InvalidRequestError("The id_token_hint was not issued here."))
        hint_subject = hint.get("sub")

    # Authlib validates response_type, scope, PKCE and nonce, and binds the client.
    server = current_server().authorization
    try:
        grant = server.get_consent_grant(end_user=account)
    except ValueError:
        # Authlib quotes request values in some error descriptions, and raises ValueError
        # when one holds a character a description may not carry (response_type=%22): that
        # request is still the client's error, not a 500.
        return fail(InvalidRequestError("The request has invalid characters."))
    except OAuth2Error as error:
        if error.redirect_uri:
            return fail(error)
        return ErrorPage(N_("La demande de connexion est invalide."), error.description or "")

    key = request_key(params)
    parked = _parked(key)
    signed_in_since_parked = parked is not None and session.get(AWAITING_SIGN_IN_KEY) != key
    if "create" in prompts and not (parked and parked.get("create")):
        park(params, authorize_path, create=True)
        return SignUpNeeded()

    now = clock.now()
    auth_time = sso.auth_time()
    need_sign_in = account is None or (
        not signed_in_since_parked
        and (
            "login" in prompts
            or _too_old(auth_time, max_age, int(now.timestamp()))
            or (hint_subject is not None and hint_subject != account.subject)
        )
    )
    if need_sign_in:
        if "none" in prompts:
            return fail(LoginRequiredError())
        park(params, authorize_path, create=False)
        return SignInNeeded(login_hint=values.get("login_hint"))
    assert account is not None  # no account means need_sign_in
    if hint_subject is not None and hint_subject != account.subject:
        # OIDC Core 3.1.2.1: someone else than the id_token_hint's End-User signed in.
        return fail(LoginRequiredError("The signed-in member is not the id_token_hint's."))

    methods = sso.session_methods()
    if _second_factor_wanted(values, claims_request) and not policy.has_second_factor(methods):
        if "none" in prompts:
            return fail(LoginRequiredError("A second factor is needed."))
        # Not park(): the sign-in itself is done, only its second factor is missing.
        sso.remember_next(f"{authorize_path}?{urlencode(params)}")
        return SecondFactorNeeded()

    scope = grant.request.scope or ""
    # OIDC Core 5.5: claims asked for by name need the member's consent like scopes do.
    extra = oidc_claims.extra_requested_claims(claims_request, scope, " ".join(client.scopes or []))
    consented = " ".join(scope.split() + [oidc_claims.CLAIM_CONSENT + name for name in extra])
    claims_request = oidc_claims.covered_claims_request(
        claims_request, oidc_claims.allowed_claims(scope) | set(extra)
    )
    if decision is None:
        if consent_needed(account, client, consented) or (
            "consent" in prompts and not client.first_party
        ):
            if "none" in prompts:
                return fail(ConsentRequiredError())
            return ConsentNeeded(client=client, scopes=scope.split(), params=params, claims=extra)
    elif decision == "deny":
        record_refusal(account, client, scope, ip_address)
        return fail(AccessDeniedError())
    else:
        grant_consent(account, client, consented, now, ip_address)

    grant.request.oidc_context = {
        "auth_time": auth_time,
        "amr": methods,
        "acr": policy.acr_for(methods),
        "claims_request": claims_request,
        "max_age_requested": max_age is not None,
    }
    _forget_pending()
    response = server.create_authorization_response(grant_user=account, grant=grant)
    return RedirectToRP(response)


def _too_old(auth_time: int | None, max_age: int | None, now: int) -> bool:
    """OIDC Core 3.1.2.1: the sign-in is older than max_age; max_age=0 is prompt=login."""
    if max_age is None:
        return False
    return auth_time is None or max_age == 0 or auth_time + max_age < now


def _second_factor_wanted(values: MultiDict, claims_request: dict | None) -> bool:
    """Whether this request needs ``acr`` ``mfa`` (OIDC Core 3.1.2.1 ``acr_values``, 5.5.1.1
    an ``acr`` claim request), or the policy asks it of every sign-in."""
    config_policy = settings().mfa
    if not policy.enabled(config_policy):
        return False
    if config_policy == "required":
        return True
    wanted = set((values.get("acr_values") or "").split())
    acr_claim = ((claims_request or {}).get("id_token") or {}).get("acr") or {}
    if isinstance(acr_claim, dict):
        if isinstance(acr_claim.get("value"), str):
            wanted.add(acr_claim["value"])
        if isinstance(acr_claim.get("values"), list):
            wanted.update(value for value in acr_claim["values"] if isinstance(value, str))
    return policy.ACR_MULTI_FACTOR in wanted
