"""Registering relying parties (used by ``flask idp create-client``, the demo and the admin)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from ..db import db
from ..errors import IdpError
from ..models.oauth import OAuthClient
from ..security.audit import record
from ..security.tokens import digest, new_token
from ..transaction import operation
from .claims import SUPPORTED_SCOPES

CONFIDENTIAL_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class ClientRegistrationError(IdpError, ValueError):
    """The client's settings cannot be accepted; the message says which and why."""

    # RFC 7591 3.2.2's code; 422 as the console answers the form.
    code, status = "invalid_client_metadata", 422


def validate_redirect_uri(uri: str) -> str:
    """Return ``uri`` if it is an absolute URL without fragment; http only for loopback."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        raise ClientRegistrationError(f"not a valid URL: {uri!r}") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ClientRegistrationError(f"redirect URI must be an absolute http(s) URL: {uri!r}")
    if parts.fragment or "#" in uri:
        raise ClientRegistrationError(f"redirect URI must not have a fragment: {uri!r}")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ClientRegistrationError(
            f"redirect URI must use https (http only for localhost or 127.0.0.1): {uri!r}"
        )
    if len(uri) > 2000:
        raise ClientRegistrationError("redirect URI too long")
    return uri


def _checked_settings(
    name: str,
    redirect_uris: Iterable[str],
    post_logout_uris: Iterable[str],
    scopes: Iterable[str] | None,
) -> tuple[str, list[str], list[str], list[str]]:
    """The name, URIs and scopes a client may have; ``ClientRegistrationError`` otherwise."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ClientRegistrationError("the client name must be 1 to 100 characters")
    redirect_uris = list(dict.fromkeys(validate_redirect_uri(u) for u in redirect_uris))
    if not redirect_uris:
        raise ClientRegistrationError("at least one redirect URI is required")
    post_logout_uris = list(dict.fromkeys(validate_redirect_uri(u) for u in post_logout_uris))
    scopes = list(dict.fromkeys(scopes)) if scopes else list(SUPPORTED_SCOPES)
    unknown = [s for s in scopes if s not in SUPPORTED_SCOPES]
    if unknown:
        raise ClientRegistrationError(f"unknown scopes: {', '.join(unknown)}")
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    return name, redirect_uris, post_logout_uris, scopes


def update_client(
    client: OAuthClient,
    *,
    name: str,
    redirect_uris: Iterable[str],
    post_logout_uris: Iterable[str],
    scopes: Iterable[str] | None,
    first_party: bool,
) -> list[str]:
    """Change a client's settings in the caller's transaction; the names of those changed.

    Redirect URIs still match exactly (OAuth 2.0 Security BCP 4.1.3): a URI taken off the
    list is refused from the next authorization request on.
    """
    name, redirect_uris, post_logout_uris, scopes = _checked_settings(
        name, redirect_uris, post_logout_uris, scopes
    )
    wanted = {
        "name": name,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_uris,
        "scopes": scopes,
        "first_party": first_party,
    }
    changed = [key for key, value in wanted.items() if getattr(client, key) != value]
    for key in changed:
        setattr(client, key, wanted[key])
    db.session.flush()
    return changed


def regenerate_secret(client: OAuthClient) -> str:
    """A new secret for a confidential client, in clear, once; the previous one stops working
    as soon as the caller commits (only the new digest is kept)."""
    if client.is_public:
        raise ClientRegistrationError("a public client has no secret")
    secret = new_token()
    client.client_secret_digest = digest(secret)
    db.session.flush()
    return secret


@operation
def create_client(
    name: str,
    redirect_uris: Iterable[str],
    post_logout_uris: Iterable[str] = (),
    public: bool = False,
    auth_method: str = "client_secret_basic",
    first_party: bool = False,
    scopes: Iterable[str] | None = None,
    id_token_alg: str = "RS256",  # noqa: S107 - an algorithm name
) -> tuple[OAuthClient, str | None]:
    """Register a client; return it and its secret in clear (None for a public client).

    The secret is returned once and only its digest is stored.
    """
    name, redirect_uris, post_logout_uris, scopes = _checked_settings(
        name, redirect_uris, post_logout_uris, scopes
    )
    if public:
        auth_method = "none"
    elif auth_method not in CONFIDENTIAL_AUTH_METHODS:
        raise ClientRegistrationError(
            f"auth method must be one of {', '.join(CONFIDENTIAL_AUTH_METHODS)}"
        )
    if id_token_alg not in ("RS256", "ES256"):
        raise ClientRegistrationError("ID token algorithm must be RS256 or ES256")

    secret = None if public else new_token()
    client = OAuthClient(
        name=name,
        is_public=public,
        token_endpoint_auth_method=auth_method,
        first_party=first_party,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_uris,
        scopes=scopes,
        client_secret_digest=digest(secret) if secret else None,
        id_token_signed_response_alg=id_token_alg,
    )
    db.session.add(client)
    db.session.flush()
    record(
        "client_created",
        client_id=client.client_id,
        name=name,
        public=public,
        first_party=first_party,
    )
    return client, secret
