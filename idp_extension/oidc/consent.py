"""Remembered consent: a member approves a third-party client once per scope set, sees the
approvals on the account page and may withdraw one (the client's tokens die with it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from ..db import db, rowcount
from ..errors import IdpError
from ..i18n import N_
from ..models import Account
from ..models.oauth import Consent, OAuthClient
from ..security.audit import record
from ..transaction import operation
from .claims import SCOPE_DESCRIPTIONS
from .revocation import revoke_grants


class ConsentNotFoundError(IdpError, LookupError):
    """The member has no remembered consent for this client (never given, or withdrawn)."""

    code, status = "consent_not_found", 404
    message = N_("Cette application n'a pas, ou plus, votre autorisation.")


@dataclass(frozen=True)
class GrantedAccess:
    """One third-party client a member approved, as the account page lists it."""

    client_id: str
    client_name: str
    granted_at: datetime
    # What the client may learn, in the member's words (the consent page's descriptions).
    descriptions: tuple


@dataclass(frozen=True)
class Withdrawal:
    """What withdrawing a consent did."""

    client_name: str
    tokens_revoked: int


def consent_needed(account: Account, client: OAuthClient, scope: str) -> bool:
    """True unless the client is first-party or the member already approved these scopes."""
    if client.first_party:
        return False
    consent = db.session.scalars(
        db.select(Consent).filter_by(account_id=account.id, client_pk=client.id)
    ).first()
    return consent is None or not set(scope.split()) <= set(consent.scopes or [])


@operation
def grant_consent(
    account: Account, client: OAuthClient, scope: str, now: datetime, ip_address: str | None = None
) -> Consent:
    """Remember the approval (widening an earlier one) and audit it; commits."""
    consent = db.session.scalars(
        db.select(Consent).filter_by(account_id=account.id, client_pk=client.id)
    ).first()
    scopes = set(scope.split())
    if consent is None:
        consent = Consent(account_id=account.id, client_pk=client.id)
        db.session.add(consent)
    else:
        scopes |= set(consent.scopes or [])
    consent.scopes = sorted(scopes)
    consent.granted_at = now
    record(
        "consent_granted",
        account_id=account.id,
        client_id=client.client_id,
        ip_address=ip_address,
        scope=" ".join(sorted(scope.split())),
    )
    return consent


@operation
def record_refusal(
    account: Account, client: OAuthClient, scope: str, ip_address: str | None = None
) -> None:
    record(
        "consent_refused",
        account_id=account.id,
        client_id=client.client_id,
        ip_address=ip_address,
        scope=scope,
    )


def granted_accesses(account_id: int) -> list[GrantedAccess]:
    """The third-party clients this account approved, by name; first-party ones never ask."""
    rows = db.session.execute(
        select(Consent, OAuthClient)
        .join(OAuthClient, Consent.client_pk == OAuthClient.id)
        .where(Consent.account_id == account_id, OAuthClient.first_party.is_(False))
        .order_by(OAuthClient.name, OAuthClient.id)
    ).all()
    return [
        GrantedAccess(
            client_id=client.client_id,
            client_name=client.name,
            granted_at=consent.granted_at,
            descriptions=tuple(
                SCOPE_DESCRIPTIONS[scope]
                for scope in SCOPE_DESCRIPTIONS
                if scope in (consent.scopes or [])
            ),
        )
        for consent, client in rows
    ]


@operation
def withdraw_consent(
    account_id: int, client_id: str, *, now: datetime, ip_address: str | None = None
) -> Withdrawal:
    """Forget the account's consent to this client and revoke everything the client holds
    for it (access and refresh tokens, codes not yet exchanged); commits.
    ``ConsentNotFoundError`` when there is no such consent.

    The next authorization of that client asks the member again (OIDC Core 3.1.2.4).
    """
    client = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    if client is None:
        raise ConsentNotFoundError(client_id)
    # Deleted in one statement: of two parallel withdrawals only one finds the row.
    deleted = db.session.execute(
        delete(Consent)
        .where(Consent.account_id == account_id, Consent.client_pk == client.id)
        .execution_options(synchronize_session=False)
    )
    if rowcount(deleted) == 0:
        raise ConsentNotFoundError(client_id)
    revoked = revoke_grants(now=now, account_id=account_id, client_pk=client.id)
    record(
        "consent_withdrawn",
        account_id=account_id,
        client_id=client.client_id,
        ip_address=ip_address,
        tokens_revoked=revoked,
    )
    return Withdrawal(client_name=client.name, tokens_revoked=revoked)
