"""Discovery fields read from the grant and endpoint classes the server registers, so the
document cannot drift from what the server accepts (RFC 8414 section 2)."""

from __future__ import annotations

from .endpoints import TokenIntrospection, TokenRevocation
from .grants import AuthorizationCodeGrant, RefreshTokenGrant, S256CodeChallenge

GRANTS = (AuthorizationCodeGrant, RefreshTokenGrant)


def _union(*lists: list[str]) -> list[str]:
    seen: list[str] = []
    for methods in lists:
        seen.extend(method for method in methods if method not in seen)
    return seen


def auth_methods() -> dict[str, list[str]]:
    return {
        "grant_types_supported": [grant.GRANT_TYPE for grant in GRANTS],
        "token_endpoint_auth_methods_supported": _union(
            *(grant.TOKEN_ENDPOINT_AUTH_METHODS for grant in GRANTS)
        ),
        "revocation_endpoint_auth_methods_supported": list(TokenRevocation.CLIENT_AUTH_METHODS),
        "introspection_endpoint_auth_methods_supported": list(
            TokenIntrospection.CLIENT_AUTH_METHODS
        ),
        "code_challenge_methods_supported": list(S256CodeChallenge.SUPPORTED_CODE_CHALLENGE_METHOD),
    }
