"""Authlib's OAuth 2.0 / OpenID Connect server, wired to our models.

The only module importing Authlib's server classes. It follows RFC 6749 (code and refresh
grants), RFC 7636 (PKCE, S256 only), RFC 7009 (revocation), RFC 7662 (introspection), RFC 9207
(``iss`` in authorization responses), OpenID Connect Core 1.0 and RP-Initiated Logout 1.0.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
)
from authlib.oauth2.rfc6750 import (
    BearerTokenValidator,
    InsufficientScopeError,
    InvalidTokenError,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode, UserInfoEndpoint
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    LoginRequiredError,
    RequestNotSupportedError,
    RequestURINotSupportedError,
)
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Flask, current_app
from flask import request as flask_request
from sqlalchemy import update

from ..account import session as sso
from ..db import db
from ..enrollment.membership import membership_allows
from ..models import Account, AccountStatus
from ..models.oauth import AuthorizationCode, OAuthClient, Token
from ..security.audit import record
from ..security.tokens import digest, new_token
from . import claims as oidc_claims
from . import keys

__all__ = [
    "AccessDeniedError",
    "ConsentRequiredError",
    "InvalidRequestError",
    "LoginRequiredError",
    "OAuth2Error",
    "RequestNotSupportedError",
    "RequestURINotSupportedError",
    "current_server",
    "error_response",
    "init_server",
]

# Longest secret string we look up; anything longer cannot be ours.
MAX_SECRET_LENGTH = 512


def _clock_now() -> datetime:
    return current_app.extensions["idp"].clock.now()


def _ip() -> str | None:
    return flask_request.remote_addr if flask_request else None


def _issuer() -> str:
    return current_app.config["IDP_ISSUER"]


def query_client(client_id: str | None) -> OAuthClient | None:
    # Ours are URL-safe ASCII; anything else (a NUL byte crashes PostgreSQL) is nobody.
    if (
        not client_id
        or len(client_id) > 64
        or not client_id.isascii()
        or not client_id.isprintable()
    ):
        return None
    return db.session.scalars(
        db.select(OAuthClient).filter_by(client_id=client_id, disabled_at=None)
    ).first()


def _active_account(account: Account | None) -> Account | None:
    return account if account is not None and account.status == AccountStatus.ACTIVE else None


def _grant_holder(account: Account | None, issued_at: datetime) -> Account | None:
    """The account a code or token was issued for, if it may still act for it.

    A disabled account acts for nobody; a password changed after ``issued_at`` voids what the
    old password's sessions obtained, as it ends those sessions (account.session).
    """
    account = _active_account(account)
    if account is None:
        return None
    changed = account.password_changed_at
    if changed is not None and issued_at < changed:
        return None
    return account


def _token_in_force(row: Token) -> bool:
    """Whether a token row still speaks for its member and its (enabled) client."""
    return row.client.disabled_at is None and _grant_holder(row.account, row.issued_at) is not None


def revoke_family(family_id: str, now: datetime) -> int:
    """Revoke every token of one grant (a code and all its refresh rotations)."""
    result = db.session.execute(
        update(Token)
        .where(Token.family_id == family_id, Token.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount


def generate_bearer_token(
    grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True
):
    """Opaque random tokens (RFC 6750); only their digests are stored by ``save_token``."""
    token = {
        "token_type": "Bearer",
        "access_token": new_token(),
        "expires_in": expires_in or current_app.config["IDP_ACCESS_TOKEN_TTL"],
        "scope": scope or "",
    }
    if include_refresh_token:
        token["refresh_token"] = new_token()
    return token


def save_token(token: dict, request) -> None:
    """Store a token's digests; consume the code or the rotated refresh token atomically.

    Two concurrent redemptions of one code (or one refresh token) cannot both win: the
    conditional UPDATE lets exactly one through (RFC 6749 4.1.2, OAuth 2.0 Security BCP 4.14).
    """
    now = _clock_now()
    config = current_app.config
    client: OAuthClient = request.client
    code: AuthorizationCode | None = request.authorization_code
    previous: Token | None = request.refresh_token
    if code is not None:
        won = db.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.id == code.id, AuthorizationCode.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        family_id, code_id = secrets.token_hex(16), code.id
        claims_request, auth_time = code.claims_request, code.auth_time
    else:
        won = db.session.execute(
            update(Token)
            .where(
                Token.id == previous.id, Token.refresh_used_at.is_(None), Token.revoked_at.is_(None)
            )
            .values(refresh_used_at=now)
        ).rowcount
        family_id, code_id = previous.family_id, previous.authorization_code_id
        claims_request, auth_time = previous.claims_request, previous.auth_time
    if won != 1:
        db.session.rollback()
        raise InvalidGrantError("The grant was already used.")
    refresh = token.get("refresh_token")
    row = Token(
        client_pk=client.id,
        account_id=request.user.id,
        scope=token.get("scope", ""),
        access_token_digest=digest(token["access_token"]),
        refresh_token_digest=digest(refresh) if refresh else None,
        family_id=family_id,
        authorization_code_id=code_id,
        claims_request=claims_request,
        auth_time=auth_time,
        issued_at=now,
        access_expires_at=now + timedelta(seconds=token["expires_in"]),
        refresh_expires_at=(
            now + timedelta(seconds=config["IDP_REFRESH_TOKEN_TTL"]) if refresh else None
        ),
    )
    db.session.add(row)
    record(
        "token_issued",
        account_id=request.user.id,
        client_id=client.client_id,
        ip_address=_ip(),
        grant_type=request.payload.grant_type,
        scope=row.scope,
        family=family_id[:8],
    )
    db.session.commit()


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

    def save_authorization_code(self, code: str, request) -> None:
        data = request.payload.data
        context = getattr(request, "oidc_context", {}) or {}
        now = _clock_now()
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
            expires_at=now + timedelta(seconds=current_app.config["IDP_AUTH_CODE_TTL"]),
        )
        db.session.add(item)
        record(
            "authorization_granted",
            account_id=request.user.id,
            client_id=request.client.client_id,
            ip_address=_ip(),
            scope=item.scope,
        )
        db.session.commit()

    def query_authorization_code(self, code: str, client: OAuthClient):
        if len(code) > MAX_SECRET_LENGTH:
            return None
        item = db.session.scalars(
            db.select(AuthorizationCode).filter_by(code_digest=digest(code))
        ).first()
        if item is None or item.client_pk != client.id:
            return None
        now = _clock_now()
        if item.used_at is not None:
            # RFC 6749 4.1.2: a code used twice revokes what it was exchanged for.
            families = db.session.scalars(
                db.select(Token.family_id).filter_by(authorization_code_id=item.id)
            ).all()
            revoked = sum(revoke_family(family, now) for family in set(families))
            record(
                "code_reuse_detected",
                account_id=item.account_id,
                client_id=client.client_id,
                ip_address=_ip(),
                tokens_revoked=revoked,
            )
            db.session.commit()
            return None
        if item.expires_at <= now:
            return None
        return item

    def delete_authorization_code(self, authorization_code) -> None:
        # Consumed (not deleted) in save_token, so a replay can still be recognised.
        pass

    def authenticate_user(self, authorization_code: AuthorizationCode):
        return _grant_holder(authorization_code.account, authorization_code.created_at)


class PresentedRefreshToken:
    """A refresh token row seen with the scope of its whole grant.

    RFC 6749 section 6: a narrower request narrows the new access token only; the refresh
    token keeps the scope originally granted, which an omitted ``scope`` also means. A row
    holds the access token's scope, so the grant's is read from the authorization code.
    """

    def __init__(self, row: Token):
        self.row = row

    def __getattr__(self, name):
        return getattr(self.row, name)

    def get_scope(self) -> str:
        code = (
            db.session.get(AuthorizationCode, self.row.authorization_code_id)
            if self.row.authorization_code_id
            else None
        )
        return code.scope if code is not None else self.row.scope


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """RFC 6749 section 6 with rotation; a reused refresh token revokes its whole family."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str):
        if len(refresh_token) > MAX_SECRET_LENGTH:
            return None
        token = db.session.scalars(
            db.select(Token).filter_by(refresh_token_digest=digest(refresh_token))
        ).first()
        if token is None:
            return None
        now = _clock_now()
        if token.refresh_used_at is not None:
            revoked = revoke_family(token.family_id, now)
            record(
                "refresh_reuse_detected",
                account_id=token.account_id,
                client_id=token.client.client_id,
                ip_address=_ip(),
                tokens_revoked=revoked,
            )
            db.session.commit()
            return None
        if token.revoked_at is not None or (token.refresh_expires_at or now) <= now:
            return None
        return PresentedRefreshToken(token)

    def authenticate_user(self, refresh_token: Token):
        # RFC 6749 5.2: a refresh token that no longer speaks for its member is invalid_grant
        # (Authlib would answer invalid_request for a missing user).
        account = _grant_holder(refresh_token.account, refresh_token.issued_at)
        # A pluggable registry may have terminated the member since: checked at each refresh.
        if account is None or not membership_allows(account, now=_clock_now()):
            raise InvalidGrantError("The refresh token is no longer valid.")
        return account

    def revoke_old_credential(self, refresh_token) -> None:
        # Marked used in save_token, in the same transaction as its successor.
        pass


class OpenIDConnectCode(OpenIDCode):
    """ID tokens (OIDC Core 3.1.3.6) signed with the database key, timed by the injected clock."""

    def exists_nonce(self, nonce: str, request) -> bool:
        client = query_client(request.payload.client_id)
        if client is None:
            return False
        found = db.session.scalars(
            db.select(AuthorizationCode.id).filter_by(client_pk=client.id, nonce=nonce).limit(1)
        ).first()
        return found is not None

    def get_client_algorithm(self, client: OAuthClient) -> str:
        return client.id_token_signed_response_alg or keys.DEFAULT_ALGORITHM

    def resolve_client_private_key(self, client: OAuthClient):
        return keys.private_key(keys.active_key(self.get_client_algorithm(client)))

    def get_encode_header(self, client: OAuthClient) -> dict:
        alg = self.get_client_algorithm(client)
        return {"alg": alg, "kid": keys.active_key(alg).kid, "typ": "JWT"}

    def get_client_claims(self, client: OAuthClient) -> dict:
        now = int(_clock_now().timestamp())
        return {
            "iss": _issuer(),
            "aud": client.client_id,
            "iat": now,
            "exp": now + current_app.config["IDP_ID_TOKEN_TTL"],
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


@dataclass
class PresentedToken:
    """A token row as presented to revocation or introspection: access or refresh."""

    row: Token
    kind: str  # "access_token" or "refresh_token"

    def check_client(self, client: OAuthClient) -> bool:
        return self.row.check_client(client)

    def expires_at(self) -> datetime | None:
        if self.kind == "access_token":
            return self.row.access_expires_at
        return self.row.refresh_expires_at

    def is_expired(self) -> bool:
        expires = self.expires_at()
        return expires is None or expires <= _clock_now()

    def is_revoked(self) -> bool:
        if self.kind == "refresh_token" and self.row.refresh_used_at is not None:
            return True
        return self.row.is_revoked()


def find_presented_token(token_string: str, hint: str | None) -> PresentedToken | None:
    if not token_string or len(token_string) > MAX_SECRET_LENGTH:
        return None
    token_digest = digest(token_string)
    kinds = ["access_token", "refresh_token"]
    if hint == "refresh_token":
        kinds.reverse()
    for kind in kinds:
        column = Token.access_token_digest if kind == "access_token" else Token.refresh_token_digest
        row = db.session.scalars(db.select(Token).where(column == token_digest)).first()
        if row is not None:
            return PresentedToken(row, kind)
    return None


class TokenRevocation(RevocationEndpoint):
    """RFC 7009. Revoking a refresh token revokes its whole family; an access token, its row."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string, token_type_hint):
        return find_presented_token(token_string, token_type_hint)

    def revoke_token(self, token: PresentedToken, request) -> None:
        now = _clock_now()
        if token.kind == "refresh_token":
            revoke_family(token.row.family_id, now)
        elif token.row.revoked_at is None:
            token.row.revoked_at = now
        record(
            "token_revoked",
            account_id=token.row.account_id,
            client_id=request.client.client_id,
            ip_address=_ip(),
            kind=token.kind,
        )
        db.session.commit()


class TokenIntrospection(IntrospectionEndpoint):
    """RFC 7662 for confidential clients; a client may only introspect its own tokens."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        return find_presented_token(token_string, token_type_hint)

    def check_permission(self, token: PresentedToken, client, request) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: PresentedToken) -> dict:
        row = token.row
        if not _token_in_force(row):
            return {"active": False}
        return {
            "active": True,
            "client_id": row.client.client_id,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "scope": row.scope,
            "sub": row.account.subject,
            "aud": row.client.client_id,
            "iss": _issuer(),
            "exp": int(token.expires_at().timestamp()),
            "iat": int(row.issued_at.timestamp()),
        }


class AccessTokenValidator(BearerTokenValidator):
    """RFC 6750 bearer access tokens, looked up by digest, expired by the injected clock."""

    def authenticate_token(self, token_string: str):
        if not token_string or len(token_string) > MAX_SECRET_LENGTH:
            return None
        return db.session.scalars(
            db.select(Token).filter_by(access_token_digest=digest(token_string))
        ).first()

    def validate_token(self, token: Token | None, scopes, request):
        if (
            token is None
            or token.revoked_at is not None
            or token.access_expires_at <= _clock_now()
            or not _token_in_force(token)
        ):
            raise InvalidTokenError(realm=self.realm, extra_attributes=self.extra_attributes)
        if self.scope_insufficient(token.get_scope(), scopes):
            raise InsufficientScopeError()


class MissingBearerTokenError(InvalidTokenError):
    """No access token at all: a bare ``Bearer`` challenge (RFC 6750 3.1, no error code)."""

    description = "Missing access token."

    def get_headers(self):
        headers = [h for h in super().get_headers() if h[0] != "WWW-Authenticate"]
        headers.append(("WWW-Authenticate", 'Bearer realm="userinfo"'))
        return headers


class BearerProtector(ResourceProtector):
    """Accepts the access token in the Authorization header or, for a form POST, in the body
    (RFC 6750 2.1 and 2.2); never both, never in the query string."""

    def parse_request_authorization(self, request):
        header = request.headers.get("Authorization")
        in_body = None
        if (
            flask_request.method == "POST"
            and flask_request.mimetype == "application/x-www-form-urlencoded"
        ):
            values = flask_request.form.getlist("access_token")
            if len(values) > 1:
                raise InvalidRequestError("Multiple 'access_token' in request.")
            in_body = values[0] if values else None
        if "access_token" in flask_request.args:
            raise InvalidRequestError("Access tokens are not accepted in the query string.")
        if header and in_body:
            raise InvalidRequestError("Use one method to send the access token.")
        if in_body:
            return self.get_token_validator("bearer"), in_body
        if not header:
            raise MissingBearerTokenError()
        return super().parse_request_authorization(request)


class UserInfo(UserInfoEndpoint):
    """OIDC Core 5.3: the claims released by the token's scopes."""

    def generate_user_info(self, user: Account, scope: str) -> dict:
        return oidc_claims.userinfo_claims(user, scope)

    def get_issuer(self) -> str:
        return _issuer()


class EndSession(EndSessionEndpoint):
    """RP-Initiated Logout 1.0 against our own published keys."""

    def get_server_jwks(self):
        return keys.public_key_set()

    def _validate_id_token_hint(self, id_token_hint: str) -> dict:
        # Authlib's check reads the system time; ours follows the injected clock and the issuer.
        claims = keys.verify_own_id_token(id_token_hint)
        if claims is None:
            raise InvalidRequestError("The id_token_hint was not issued by this provider.")
        return claims

    def get_algorithms(self) -> list[str]:
        return list(keys.SUPPORTED_ALGORITHMS)

    def is_post_logout_redirect_uri_legitimate(
        self, request, post_logout_redirect_uri, client, logout_hint
    ) -> bool:
        # Without an ID token hint, the member's own confirmation (our CSRF-protected form)
        # vouches for the request; the URI was already matched exactly against the client's.
        return flask_request.endpoint == "oidc.confirm_logout"

    def end_session(self, end_session_request) -> None:
        account = sso.signed_in_account()
        client = end_session_request.client
        if account is not None:
            record(
                "logout",
                account_id=account.id,
                client_id=client.client_id if client else None,
                ip_address=_ip(),
            )
            db.session.commit()
        sso.sign_out()


class Issuer(IssuerParameter):
    def get_issuer(self) -> str:
        return _issuer()


@dataclass
class OidcServer:
    """One application's Authlib server parts, kept in ``app.extensions["oidc"]``."""

    authorization: AuthorizationServer
    bearer: BearerProtector
    issuer: Issuer


def init_server(app: Flask) -> OidcServer:
    """Build and wire Authlib's server and resource protector for ``app``."""
    # Authlib's debug lines print issued tokens in clear ("Issue token {...}"): keep them out
    # of our logs unless an operator configured the authlib logger on purpose.
    authlib_log = logging.getLogger("authlib")
    if authlib_log.level == logging.NOTSET:
        authlib_log.setLevel(logging.INFO)
    server = AuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.register_token_generator("default", generate_bearer_token)
    server.register_grant(
        AuthorizationCodeGrant, [S256CodeChallenge(required=True), OpenIDConnectCode()]
    )
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(TokenRevocation)
    server.register_endpoint(TokenIntrospection)
    bearer = BearerProtector()
    bearer.register_token_validator(AccessTokenValidator())
    server.register_endpoint(UserInfo(resource_protector=bearer))
    server.register_endpoint(EndSession)
    issuer = Issuer()
    server.register_extension(issuer)
    state = OidcServer(authorization=server, bearer=bearer, issuer=issuer)
    app.extensions["oidc"] = state
    return state


def current_server() -> OidcServer:
    return current_app.extensions["oidc"]


def error_response(error: OAuth2Error):
    """Authlib's response for an error (a redirect carrying ``iss`` when it has a redirect URI)."""
    state = current_server()
    response = state.authorization.handle_error_response(None, error)
    if response.location:
        state.issuer.add_issuer_parameter(state.authorization, response)
    return response


def invalid_client(description: str) -> InvalidClientError:
    return InvalidClientError(description=description, status_code=401)
