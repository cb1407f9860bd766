"""The grants: authorization code with PKCE and OpenID Connect, refresh token with rotation.

RFC 6749 4.1 and 6, RFC 7636 (PKCE, S256 only), OpenID Connect Core 1.0 3.1.3.6 (ID token).
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from flask import g
from sqlalchemy.orm import joinedload

from .. import clock
from ..db import db
from ..enrollment.membership import membership_allows
from ..models import Account
from ..models.oauth import AuthorizationCode, OAuthClient, Token
from ..security.audit import record
from ..security.tokens import digest
from ..settings import settings
from ..transaction import operation, transaction
from . import claims as oidc_claims
from . import keys
from .storage import (
    MAX_SECRET_LENGTH,
    PresentedRefreshToken,
    client_ip,
    grant_holder,
    issuer,
    revoke_family,
)


class S256CodeChallenge(CodeChallenge):
    """PKCE (RFC 7636) with S256 only, required from public clients; ``plain`` is refused."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": CodeChallenge.CODE_CHALLENGE_METHODS["S256"]}

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if grant.request.client.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE (code_challenge with S256) is required.")
        if data.get("code_challenge") and not data.get("code_challenge_method"):
            raise InvalidRequestError("Missing 'code_challenge_method'; only S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        # RFC 9700 4.8.2 (PKCE downgrade): a verifier for a code issued without a challenge
        # does not match it, so invalid_grant as for a wrong verifier (RFC 7636 4.6).
        code = grant.request.authorization_code
        if grant.request.form.get("code_verifier") and not code.code_challenge:
            raise InvalidGrantError("The authorization request had no code_challenge.")
        super().validate_code_verifier(grant, result)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    """RFC 6749 4.1 with codes stored as digests, bound to client, redirect URI and PKCE."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    @operation
    def save_authorization_code(self, code: str, request) -> None:
        data = request.payload.data
        context = getattr(request, "oidc_context", {}) or {}
        now = clock.now()
        item = AuthorizationCode(
            code_digest=digest(code),
            client_pk=request.client.id,
            account_id=request.user.id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope or "",
            nonce=data.get("nonce") or None,
            code_challenge=data.get("code_challenge") or None,
            code_challenge_method=data.get("code_challenge_method") or None,
            auth_time=context.get("auth_time"),
            acr=context.get("acr"),
            amr=context.get("amr"),
            claims_request=context.get("claims_request"),
            max_age_requested=bool(context.get("max_age_requested")),
            created_at=now,
            expires_at=now + settings().auth_code_ttl,
        )
        db.session.add(item)
        record(
            "authorization_granted",
            account_id=request.user.id,
            client_id=request.client.client_id,
            ip_address=client_ip(),
            scope=item.scope,
        )

    def query_authorization_code(self, code: str, client: OAuthClient):
        if len(code) > MAX_SECRET_LENGTH:
            return None
        item = db.session.scalars(
            db.select(AuthorizationCode)
            .filter_by(code_digest=digest(code))
            .options(joinedload(AuthorizationCode.account))  # its holder, in the same round trip
        ).first()
        if item is None or item.client_pk != client.id:
            return None
        now = clock.now()
        if item.used_at is not None:
            # RFC 6749 4.1.2: a code used twice revokes what it was exchanged for. Its own
            # operation: kept although the request then fails with invalid_grant.
            with transaction():
                families = db.session.scalars(
                    db.select(Token.family_id).filter_by(authorization_code_id=item.id)
                ).all()
                revoked = sum(revoke_family(family, now) for family in set(families))
                record(
                    "code_reuse_detected",
                    account_id=item.account_id,
                    client_id=client.client_id,
                    ip_address=client_ip(),
                    tokens_revoked=revoked,
                )
            return None
        if item.expires_at <= now:
            return None
        return item

    def delete_authorization_code(self, authorization_code) -> None:
        # Consumed (not deleted) in save_token, so a replay can still be recognised.
        pass

    def create_token_response(self):
        # One operation, committed once the ID token is signed (Authlib's after-hook): the
        # code's consumption, the token and its audit land together, or not at all.
        with transaction():
            return super().create_token_response()

    def authenticate_user(self, authorization_code: AuthorizationCode):
        return grant_holder(authorization_code.account, authorization_code.created_at)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """RFC 6749 section 6 with rotation; a reused refresh token revokes its whole family."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str):
        if len(refresh_token) > MAX_SECRET_LENGTH:
            return None
        # The token, its holder and the scope of its whole grant, in one round trip.
        found = db.session.execute(
            db.select(Token, AuthorizationCode.scope)
            .outerjoin(AuthorizationCode, Token.authorization_code_id == AuthorizationCode.id)
            .where(Token.refresh_token_digest == digest(refresh_token))
            .options(joinedload(Token.account))
        ).first()
        if found is None:
            return None
        token, grant_scope = found
        now = clock.now()
        if token.refresh_used_at is not None:
            # Its own operation: kept although the request then fails with invalid_grant.
            with transaction():
                revoked = revoke_family(token.family_id, now)
                record(
                    "refresh_reuse_detected",
                    account_id=token.account_id,
                    client_id=token.client.client_id,
                    ip_address=client_ip(),
                    tokens_revoked=revoked,
                )
            return None
        if token.revoked_at is not None or (token.refresh_expires_at or now) <= now:
            return None
        return PresentedRefreshToken(token, grant_scope)

    def authenticate_user(self, refresh_token: Token):
        # RFC 6749 5.2: a refresh token that no longer speaks for its member is invalid_grant
        # (Authlib would answer invalid_request for a missing user).
        account = grant_holder(refresh_token.account, refresh_token.issued_at)
        # A pluggable registry may have terminated the member since: checked at each refresh.
        if account is None or not membership_allows(account, now=clock.now()):
            raise InvalidGrantError("The refresh token is no longer valid.")
        return account

    def revoke_old_credential(self, refresh_token) -> None:
        # Marked used in save_token, in the same transaction as its successor.
        pass

    def create_token_response(self):
        # invalid_grant keeps what was found out on the way: a member the register has
        # terminated since is suspended (authenticate_user); nothing else is written by then.
        with transaction(keep_on=(InvalidGrantError,)):
            return super().create_token_response()


class OpenIDConnectCode(OpenIDCode):
    """ID tokens (OIDC Core 3.1.3.6) signed with the database key, timed by the injected clock."""

    def exists_nonce(self, nonce: str, request) -> bool:
        """Never a replay here: OIDC Core 3.1.3.7 leaves replay detection to the relying party
        (it compares the ID token's nonce with the one it stored in the browser's session).
        Refusing a nonce another member of the same client used earlier only refused that
        second member's login; a stolen code or token is stopped by PKCE, the single-use code
        and its binding to the client, not by the nonce."""
        return False

    def get_client_algorithm(self, client: OAuthClient) -> str:
        return client.id_token_signed_response_alg or keys.DEFAULT_ALGORITHM

    def _signing_key(self, client: OAuthClient) -> keys.Signer:
        # Authlib asks for the key and for the header separately: one choice per request.
        alg = self.get_client_algorithm(client)
        chosen = g.setdefault("idp_signing_keys", {})
        if alg not in chosen:
            chosen[alg] = keys.signing_key(alg)
        return chosen[alg]

    def resolve_client_private_key(self, client: OAuthClient):
        return keys.private_key(self._signing_key(client))

    def get_encode_header(self, client: OAuthClient) -> dict:
        key = self._signing_key(client)
        return {"alg": key.alg, "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client: OAuthClient) -> dict:
        now = int(clock.now().timestamp())
        return {
            "iss": issuer(),
            "aud": client.client_id,
            "iat": now,
            "exp": now + int(settings().id_token_ttl.total_seconds()),
        }

    def get_authorization_code_claims(self, authorization_code: AuthorizationCode) -> dict:
        claims = super().get_authorization_code_claims(authorization_code)
        claims.update(
            oidc_claims.id_token_claims(
                authorization_code.account,
                authorization_code.scope,
                authorization_code.claims_request,
            )
        )
        return claims

    def generate_user_info(self, user: Account, scope: str) -> dict:
        return {"sub": user.subject}
