"""Ending what relying parties hold: access and refresh tokens, and codes not yet exchanged.

Used when a member withdraws a consent, and when an admin disables an account or a client:
the rows are revoked for good, so enabling the account or client again brings none of them
back (OAuth 2.0 Security BCP 4.14; RFC 7009 section 2.1 for the refresh token's family).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, update

from ..db import db, rowcount
from ..models.oauth import AuthorizationCode, Token


def revoke_grants(
    *, now: datetime, account_id: int | None = None, client_pk: int | None = None
) -> int:
    """Revoke every live token of an account, of a client, or of the pair; how many.

    Runs in the caller's transaction (it flushes, the caller commits with its audit).
    """
    if account_id is None and client_pk is None:
        raise ValueError("revoke_grants needs an account, a client, or both")
    token_filter: list[ColumnElement[bool]] = [Token.revoked_at.is_(None)]
    code_filter: list[ColumnElement[bool]] = [AuthorizationCode.used_at.is_(None)]
    if account_id is not None:
        token_filter.append(Token.account_id == account_id)
        code_filter.append(AuthorizationCode.account_id == account_id)
    if client_pk is not None:
        token_filter.append(Token.client_pk == client_pk)
        code_filter.append(AuthorizationCode.client_pk == client_pk)
    revoked = rowcount(
        db.session.execute(
            update(Token)
            .where(*token_filter)
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    # A code issued but not yet exchanged would still buy tokens: it goes too.
    db.session.execute(
        delete(AuthorizationCode).where(*code_filter).execution_options(synchronize_session=False)
    )
    return revoked
