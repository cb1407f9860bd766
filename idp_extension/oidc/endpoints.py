"""The endpoints beside the token endpoint: revocation (RFC 7009), introspection (RFC 7662),
userinfo (OIDC Core 5.3, with RFC 6750 bearer tokens), RP-Initiated Logout 1.0, and the ``iss``
authorization response parameter (RFC 9207)."""

from __future__ import annotations

from authlib.consts import default_json_headers
from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6750 import (
    BearerTokenValidator,
    InsufficientScopeError,
    InvalidTokenError,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import request as flask_request
from sqlalchemy.orm import joinedload

from .. import clock, sso
from ..db import db
from ..models import Account
from ..models.oauth import Token
from ..security.audit import record
from ..security.tokens import digest
from ..transaction import operation, transaction
from . import claims as oidc_claims
from . import keys
from .storage import (
    MAX_SECRET_LENGTH,
    PresentedToken,
    client_ip,
    find_presented_token,
    issuer,
    revoke_family,
    token_in_force,
)


class TokenRevocation(RevocationEndpoint):
    """RFC 7009. Revoking a refresh token revokes its whole family; an access token, its row."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string, token_type_hint):
        return find_presented_token(token_string, token_type_hint)

    def authenticate_token(self, request, client):
        """Another client's token is treated as an unknown one: 200 and nothing revoked.

        Authlib answers it ``invalid_grant``, which tells a client that a token it guessed or
        stole exists. RFC 7009 2.2: "invalid tokens do not cause an error response".
        """
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        if token is None or not token.check_client(client):
            return None
        return token

    @operation
    def revoke_token(self, token: PresentedToken, request) -> None:
        now = clock.now()
        if token.kind == "refresh_token":
            revoke_family(token.row.family_id, now)
        elif token.row.revoked_at is None:
            token.row.revoked_at = now
        record(
            "token_revoked",
            account_id=token.row.account_id,
            client_id=request.client.client_id,
            ip_address=client_ip(),
            kind=token.kind,
        )


class TokenIntrospection(IntrospectionEndpoint):
    """RFC 7662 for confidential clients; a client may only introspect its own tokens."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        return find_presented_token(token_string, token_type_hint)

    def check_permission(self, token: PresentedToken, client, request) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: PresentedToken) -> dict:
        row = token.row
        expires = token.expires_at()
        if expires is None or not token_in_force(row):  # no expiry: is_expired() says expired
            return {"active": False}
        return {
            "active": True,
            "client_id": row.client.client_id,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "scope": row.scope,
            "sub": row.account.subject,
            "aud": row.client.client_id,
            "iss": issuer(),
            "exp": int(expires.timestamp()),
            "iat": int(row.issued_at.timestamp()),
        }


class AccessTokenValidator(BearerTokenValidator):
    """RFC 6750 bearer access tokens, looked up by digest, expired by the injected clock."""

    def authenticate_token(self, token_string: str):
        if not token_string or len(token_string) > MAX_SECRET_LENGTH:
            return None
        return db.session.scalars(
            db.select(Token)
            .filter_by(access_token_digest=digest(token_string))
            # Its client and member are checked on every use: one round trip for all three.
            .options(joinedload(Token.client), joinedload(Token.account))
        ).first()

    def validate_token(self, token: Token | None, scopes, request):
        if (
            token is None
            or token.revoked_at is not None
            or token.access_expires_at <= clock.now()
            or not token_in_force(token)
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
    """OIDC Core 5.3: the claims released by the token's scopes, and those its authorization
    asked for with the ``claims`` parameter (5.5) under the member's consent."""

    def __call__(self, request):
        # Authlib hands generate_user_info the scope only; the claims request is the token's.
        token = self.resource_protector.acquire_token("openid")
        claims = oidc_claims.userinfo_claims(token.get_user(), token.scope, token.claims_request)
        return 200, claims, default_json_headers

    def generate_user_info(self, user: Account, scope: str) -> dict:
        return oidc_claims.userinfo_claims(user, scope)

    def get_issuer(self) -> str:
        return issuer()


class EndSession(EndSessionEndpoint):
    """RP-Initiated Logout 1.0 against our own published keys."""

    def get_server_jwks(self):
        return keys.public_key_set()

    def validate_request(self, request):
        """Authlib checks the hint's signature against ``get_server_jwks`` and its ``aud``
        against ``client_id``; this adds the issuer (RP-Initiated Logout 1.0 section 2: "the OP
        MUST validate that it was the issuer of the ID Token"): another issuer sharing these
        keys (the provider mounted twice on one database) does not end this one's session.

        Time: ``exp`` is deliberately not checked (section 2 accepts expired hints), and
        Authlib compares ``iat``/``nbf`` with the system time, not the injected clock. That
        only refuses a hint issued in the future; in a deployment the provider's clock is the
        system clock, so both agree. Authlib's validator is private, so this follows it rather
        than overriding it to read the injected clock."""
        try:
            end_session_request = super().validate_request(request)
        except (ValueError, TypeError) as error:  # joserfc, on some malformed compact tokens
            raise InvalidRequestError("The id_token_hint is not a valid ID token.") from error
        claims = end_session_request.id_token_claims
        if claims is not None and (claims.get("iss") != issuer() or not claims.get("sub")):
            raise InvalidRequestError("The id_token_hint was not issued by this provider.")
        return end_session_request

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
        # The audit row and the session's end land together.
        with transaction():
            if account is not None:
                record(
                    "logout",
                    account_id=account.id,
                    client_id=client.client_id if client else None,
                    ip_address=client_ip(),
                )
            sso.sign_out()


class Issuer(IssuerParameter):
    def get_issuer(self) -> str:
        return issuer()
