"""Where Authlib's server finds and keeps things: clients, codes, tokens (stored as digests).

The storage hooks Authlib's ``AuthorizationServer`` is initialised with (``query_client``,
``save_token``), the bearer token generator, and the lookups the grants and endpoints share.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from authlib.oauth2.rfc6749.errors import InvalidGrantError
from flask import g, has_request_context
from flask import request as flask_request
from sqlalchemy import update

from .. import clock, urls
from ..db import db, rowcount
from ..models import Account, AccountStatus
from ..models.oauth import AuthorizationCode, OAuthClient, Token
from ..security.audit import record
from ..security.tokens import digest, new_token
from ..settings import settings

# Longest secret string we look up; anything longer cannot be ours.
MAX_SECRET_LENGTH = 512


def client_ip() -> str | None:
    return flask_request.remote_addr if flask_request else None


def issuer() -> str:
    return urls.issuer()


def query_client(client_id: str | None) -> OAuthClient | None:
    # Ours are URL-safe ASCII; anything else (a NUL byte crashes PostgreSQL) is nobody.
    if (
        not client_id
        or len(client_id) > 64
        or not client_id.isascii()
        or not client_id.isprintable()
    ):
        return None
    # Authlib and our authorize step ask for the client several times per request: one read.
    seen = g.setdefault("idp_clients", {}) if has_request_context() else {}
    if client_id not in seen:
        seen[client_id] = db.session.scalars(
            db.select(OAuthClient).filter_by(client_id=client_id, disabled_at=None)
        ).first()
    return seen[client_id]


def active_account(account: Account | None) -> Account | None:
    return account if account is not None and account.status == AccountStatus.ACTIVE else None


def grant_holder(account: Account | None, issued_at: datetime) -> Account | None:
    """The account a code or token was issued for, if it may still act for it.

    A disabled account acts for nobody; a password changed after ``issued_at`` voids what the
    old password's sessions obtained, as it ends those sessions (sso).
    """
    account = active_account(account)
    if account is None:
        return None
    changed = account.password_changed_at
    if changed is not None and issued_at < changed:
        return None
    return account


def token_in_force(row: Token) -> bool:
    """Whether a token row still speaks for its member and its (enabled) client."""
    return row.client.disabled_at is None and grant_holder(row.account, row.issued_at) is not None


def revoke_family(family_id: str, now: datetime) -> int:
    """Revoke every token of one grant (a code and all its refresh rotations)."""
    result = db.session.execute(
        update(Token)
        .where(Token.family_id == family_id, Token.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return rowcount(result)


def generate_bearer_token(
    grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True
):
    """Opaque random tokens (RFC 6750); only their digests are stored by ``save_token``."""
    token = {
        "token_type": "Bearer",
        "access_token": new_token(),
        "expires_in": expires_in or int(settings().access_token_ttl.total_seconds()),
        "scope": scope or "",
    }
    if include_refresh_token:
        token["refresh_token"] = new_token()
    return token


def save_token(token: dict, request) -> None:
    """Store a token's digests; consume the code or the rotated refresh token atomically.

    Two concurrent redemptions of one code (or one refresh token) cannot both win: the
    conditional UPDATE lets exactly one through (RFC 6749 4.1.2, OAuth 2.0 Security BCP 4.14).
    The grant's operation commits, once its whole response is built.
    """
    now = clock.now()
    client: OAuthClient = request.client
    code: AuthorizationCode | None = request.authorization_code
    previous: Token | None = request.refresh_token
    code_id: int | None
    if code is not None:
        won = rowcount(
            db.session.execute(
                update(AuthorizationCode)
                .where(AuthorizationCode.id == code.id, AuthorizationCode.used_at.is_(None))
                .values(used_at=now)
            )
        )
        family_id, code_id = secrets.token_hex(16), code.id
        claims_request, auth_time = code.claims_request, code.auth_time
    else:
        assert previous is not None  # without a code, this is the refresh-token grant
        won = rowcount(
            db.session.execute(
                update(Token)
                .where(
                    Token.id == previous.id,
                    Token.refresh_used_at.is_(None),
                    Token.revoked_at.is_(None),
                )
                .values(refresh_used_at=now)
            )
        )
        family_id, code_id = previous.family_id, previous.authorization_code_id
        claims_request, auth_time = previous.claims_request, previous.auth_time
    if won != 1:
        # The grant's operation rolls back what this request wrote.
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
        refresh_expires_at=(now + settings().refresh_token_ttl if refresh else None),
    )
    db.session.add(row)
    record(
        "token_issued",
        account_id=request.user.id,
        client_id=client.client_id,
        ip_address=client_ip(),
        grant_type=request.payload.grant_type,
        scope=row.scope,
        family=family_id[:8],
    )
    # Committed by the grant's operation once the response (and its ID token) is complete.
    db.session.flush()


class PresentedRefreshToken:
    """A refresh token row seen with the scope of its whole grant.

    RFC 6749 section 6: a narrower request narrows the new access token only; the refresh
    token keeps the scope originally granted, which an omitted ``scope`` also means. A row
    holds the access token's scope, so the grant's is the authorization code's
    (``grant_scope``, read with the row; None when the code is gone).
    """

    def __init__(self, row: Token, grant_scope: str | None = None):
        self.row = row
        self.grant_scope = grant_scope

    def __getattr__(self, name):
        return getattr(self.row, name)

    def get_scope(self) -> str:
        return self.grant_scope if self.grant_scope is not None else self.row.scope


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
        return expires is None or expires <= clock.now()

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
