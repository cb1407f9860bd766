"""Remembered consent: a member approves a third-party client once per scope set."""

from __future__ import annotations

from datetime import datetime

from ..db import db
from ..models import Account
from ..models.oauth import Consent, OAuthClient
from ..security.audit import record


def consent_needed(account: Account, client: OAuthClient, scope: str) -> bool:
    """True unless the client is first-party or the member already approved these scopes."""
    if client.first_party:
        return False
    consent = db.session.scalars(
        db.select(Consent).filter_by(account_id=account.id, client_pk=client.id)).first()
    return consent is None or not set(scope.split()) <= set(consent.scopes or [])


def grant_consent(account: Account, client: OAuthClient, scope: str, now: datetime,
                  ip_address: str | None = None) -> Consent:
    """Remember the approval (widening an earlier one) and audit it; commits."""
    consent = db.session.scalars(
        db.select(Consent).filter_by(account_id=account.id, client_pk=client.id)).first()
    scopes = set(scope.split())
    if consent is None:
        consent = Consent(account_id=account.id, client_pk=client.id)
        db.session.add(consent)
    else:
        scopes |= set(consent.scopes or [])
    consent.scopes = sorted(scopes)
    consent.granted_at = now
    record("consent_granted", account_id=account.id, client_id=client.client_id,
           ip_address=ip_address, scope=" ".join(sorted(scope.split())))
    db.session.commit()
    return consent


def record_refusal(account: Account, client: OAuthClient, scope: str,
                   ip_address: str | None = None) -> None:
    record("consent_refused", account_id=account.id, client_id=client.client_id,
           ip_address=ip_address, scope=scope)
    db.session.commit()
