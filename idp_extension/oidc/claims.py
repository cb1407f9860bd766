"""Scopes and the claims they release (DESIGN section 4; OIDC Core 5.4 and 5.5)."""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l

from ..errors import IdpError
from ..models import Account

# Refresh tokens go to every client allowed the refresh_token grant, so no offline_access.
SUPPORTED_SCOPES = ("openid", "profile", "email", "phone", "member")

SCOPE_CLAIMS = {
    "openid": ("sub",),
    "profile": ("given_name", "family_name", "name", "birthdate"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "member": ("member_number",),
}

SUPPORTED_CLAIMS = tuple(
    dict.fromkeys(
        ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash"]
        + [c for claims in SCOPE_CLAIMS.values() for c in claims]
    )
)

# What a member is told each scope shares, on the consent page.
SCOPE_DESCRIPTIONS = {
    "openid": _l("Votre identifiant de connexion (sans votre numéro d'adhérent)"),
    "profile": _l("Vos nom, prénom et date de naissance"),
    "email": _l("Votre adresse email"),
    "phone": _l("Votre numéro de téléphone portable"),
    "member": _l("Votre numéro d'adhérent"),
}

# One claim asked for by the ``claims`` parameter beyond the scopes (OIDC Core 5.5), as the
# consent page names it; consents remember it as "claim:<name>" beside the scopes.
CLAIM_DESCRIPTIONS = {
    "given_name": _l("Votre prénom"),
    "family_name": _l("Votre nom"),
    "name": _l("Vos prénom et nom"),
    "birthdate": _l("Votre date de naissance"),
    "email": _l("Votre adresse email"),
    "email_verified": _l("Si votre adresse email a été vérifiée"),
    "phone_number": _l("Votre numéro de téléphone portable"),
    "phone_number_verified": _l("Si votre numéro de téléphone a été vérifié"),
    "member_number": _l("Votre numéro d'adhérent"),
}
CLAIM_CONSENT = "claim:"
ACCOUNT_CLAIMS = frozenset(CLAIM_DESCRIPTIONS)

MAX_CLAIMS_PARAMETER = 4000


class ClaimsRequestError(IdpError, ValueError):
    """The ``claims`` parameter is not a valid OIDC Core 5.5 request."""

    code, status = "invalid_request", 400


def parse_claims_request(raw: str | None) -> dict | None:
    """Parse the ``claims`` parameter into ``{"id_token": {...}, "userinfo": {...}}``."""
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_CLAIMS_PARAMETER:
        raise ClaimsRequestError("The 'claims' parameter is too long.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        # RecursionError: a few thousand nested brackets exhaust the parser's stack.
        raise ClaimsRequestError("The 'claims' parameter is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ClaimsRequestError("The 'claims' parameter must be a JSON object.")
    parsed = {}
    for target in ("id_token", "userinfo"):
        members = data.get(target)
        if members is None:
            continue
        if not isinstance(members, dict) or not all(
            value is None or isinstance(value, dict) for value in members.values()
        ):
            raise ClaimsRequestError(f"The 'claims.{target}' member must be a JSON object.")
        parsed[target] = {name: value for name, value in members.items()}
    return parsed


def requested_claim_names(claims_request: dict | None, target: str) -> set[str]:
    return set((claims_request or {}).get(target, {}) or {})


def allowed_claims(scope: str) -> set[str]:
    """Every claim the granted scopes release."""
    names: set[str] = set()
    for item in (scope or "").split():
        names.update(SCOPE_CLAIMS.get(item, ()))
    return names


def account_claims(account: Account) -> dict:
    """Every claim we know about an account, by name."""
    return {
        "sub": account.subject,
        "given_name": account.first_name,
        "family_name": account.last_name,
        "name": account.full_name,
        "birthdate": account.birth_date.isoformat(),
        "email": account.email,
        "email_verified": bool(account.email_verified),
        "phone_number": account.phone,
        "phone_number_verified": bool(account.phone_verified),
        "member_number": account.member_number,
    }


def extra_requested_claims(claims_request: dict | None, scope: str, client_scope: str) -> list[str]:
    """Claims the ``claims`` parameter asks for beyond what ``scope`` releases, among those the
    client may receive (its allowed scopes release them): each needs the member's consent."""
    requested = requested_claim_names(claims_request, "userinfo") | requested_claim_names(
        claims_request, "id_token"
    )
    permitted = allowed_claims(client_scope) & ACCOUNT_CLAIMS
    return sorted((requested & permitted) - allowed_claims(scope))


def covered_claims_request(claims_request: dict | None, released: set[str]) -> dict | None:
    """The claims request without the account claims outside ``released`` (what the scopes
    and the member's consent cover); protocol claims (acr, auth_time...) are kept."""
    if claims_request is None:
        return None
    return {
        target: {
            name: value
            for name, value in (members or {}).items()
            if name not in ACCOUNT_CLAIMS or name in released
        }
        for target, members in claims_request.items()
    }


def userinfo_claims(account: Account, scope: str, claims_request: dict | None = None) -> dict:
    """The UserInfo response (OIDC Core 5.3): every claim the granted scopes release, and
    those the ``claims`` parameter asked for at authorization (OIDC Core 5.5), which the
    member's consent covered then (the stored request holds no other)."""
    names = (
        allowed_claims(scope)
        | {"sub"}
        | (requested_claim_names(claims_request, "userinfo") & ACCOUNT_CLAIMS)
    )
    return {name: value for name, value in account_claims(account).items() if name in names}


def id_token_claims(account: Account, scope: str, claims_request: dict | None) -> dict:
    """Claims of the ID token beyond the protocol ones.

    Scope claims go to the UserInfo endpoint (OIDC Core 5.4, code flow); the ID token carries
    ``sub`` plus any claim the ``claims`` parameter asked for in ``id_token``, as long as the
    granted scopes or the member's consent cover it (the stored request holds no other).
    """
    requested = requested_claim_names(claims_request, "id_token")
    names = (requested & (allowed_claims(scope) | ACCOUNT_CLAIMS)) | {"sub"}
    return {name: value for name, value in account_claims(account).items() if name in names}
