"""OpenID Connect models: relying parties, authorization codes, tokens and consents.

Every secret (client secret, code, access and refresh token) is kept only as its SHA-256 digest.
The Authlib mixin methods live here because they only read columns; the rules that need the
clock or the database live in ``idp_extension.oidc``.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Model
from ..security.tokens import matches
from .account import Account
from .types import UTCDateTime, utcnow


def new_client_id() -> str:
    return secrets.token_urlsafe(18)


class OAuthClient(Model):
    """A relying party (member portal). Public clients have no secret and must use PKCE."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_client_id)
    # Hex SHA-256 of the secret; None for public clients. The secret is shown once, at creation.
    client_secret_digest: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    token_endpoint_auth_method: Mapped[str] = mapped_column(
        String(32), default="client_secret_basic"
    )
    first_party: Mapped[bool] = mapped_column(Boolean, default=False)
    redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    grant_types: Mapped[list] = mapped_column(
        JSON, default=lambda: ["authorization_code", "refresh_token"]
    )
    response_types: Mapped[list] = mapped_column(JSON, default=lambda: ["code"])
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(8), default="RS256")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # -- what Authlib's ClientMixin asks of a client (RFC 6749 section 2) --

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris or [])}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # OIDC Core 3.1.2.1: redirect_uri is REQUIRED, so there is no default.
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes this client may have, unknown ones ignored (RFC 6749 3.3);
        None (invalid_scope) when nothing is left: there is no default scope."""
        allowed = set(self.scopes or [])
        granted = " ".join(dict.fromkeys(s for s in (scope or "").split() if s in allowed))
        return granted or None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string match (OAuth 2.0 Security BCP 4.1.3): no prefix, no pattern.
        return redirect_uri in (self.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        if self.client_secret_digest is None:
            return False
        return matches(client_secret, self.client_secret_digest)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type in (self.response_types or [])

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in (self.grant_types or [])

    def __repr__(self) -> str:
        return f"<OAuthClient {self.client_id} {self.name!r}>"


class AuthorizationCode(Model):
    """A code given to a relying party at the redirect URI; single use (RFC 6749 4.1.2)."""

    __tablename__ = "oauth_authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text, default="")
    nonce: Mapped[str | None] = mapped_column(Text)
    auth_time: Mapped[int | None]
    acr: Mapped[str | None] = mapped_column(String(100))
    amr: Mapped[list | None] = mapped_column(JSON)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(8))
    # The OIDC Core 5.5 "claims" request, already parsed: {"id_token": {...}, "userinfo": {...}}.
    claims_request: Mapped[dict | None] = mapped_column(JSON)
    # Whether the request carried max_age: auth_time is then a required ID token claim.
    max_age_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[OAuthClient] = relationship()
    account: Mapped[Account] = relationship()

    # -- Authlib AuthorizationCodeMixin (RFC 6749, OIDC Core) --

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int | None:
        return self.auth_time

    def get_acr(self) -> str | None:
        return self.acr

    def get_amr(self) -> list | None:
        return self.amr


class Token(Model):
    """An access token and, optionally, its refresh token, issued together.

    Refresh tokens rotate: using one marks it ``refresh_used_at`` and issues a new row in the
    same ``family_id``. Presenting a used refresh token again revokes the whole family.
    """

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    access_token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_type: Mapped[str] = mapped_column(String(16), default="Bearer")
    scope: Mapped[str] = mapped_column(Text, default="")
    claims_request: Mapped[dict | None] = mapped_column(JSON)
    auth_time: Mapped[int | None]
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    authorization_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("oauth_authorization_codes.id", ondelete="SET NULL"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[OAuthClient] = relationship()
    account: Mapped[Account] = relationship()

    # -- Authlib TokenMixin; expiry needs the clock, see oidc.server --

    def check_client(self, client: OAuthClient) -> bool:
        return self.client_pk == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_user(self) -> Account:
        return self.account

    def get_client(self) -> OAuthClient:
        return self.client

    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Consent(Model):
    """A member's remembered approval of a third-party client for a set of scopes."""

    __tablename__ = "oauth_consents"
    __table_args__ = (UniqueConstraint("account_id", "client_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[OAuthClient] = relationship()
