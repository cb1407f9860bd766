"""The member's data rights, exercised by the insurer's staff (GDPR articles 15, 17 and 20).

``export_account`` gathers everything held on one member, and nothing on anyone else, as a
JSON document. ``delete_account`` erases the account and its personal data: its sessions,
tokens, consents and mailed links go with it, the audit trail keeps its events under a random
pseudonym with the personal details removed, and the address and member number are free to
sign up again. The insurer's register record is not the account's: it stays.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import delete, select

from ..db import db
from ..models import AuditEvent, MemberRecord, OneTimeToken, OutboxMessage, SsoSession
from ..models.mail_request import MailRequest
from ..models.oauth import Consent, OAuthClient, Token
from ..models.second_factor import PhoneCode, RecoveryCode, TotpAuthenticator
from ..oidc.revocation import revoke_grants
from ..security.audit import record
from ..transaction import operation
from .accounts import get_account, lock_account
from .errors import AdminActionError

# Audit details that name or reach a person; removed from the trail of a deleted account.
PERSONAL_DETAILS = {
    "email",
    "recipient",
    "member_number",
    "phone",
    "name",
    "first_name",
    "last_name",
    "birth_date",
    "user_agent",
}


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@operation
def export_account(
    account_id: int, *, admin_id: int, ip_address: str | None = None
) -> tuple[dict, str]:
    """Everything held on the member, as a JSON-ready dict, and a file name for it."""
    account = get_account(account_id)
    member = db.session.get(MemberRecord, account.member_number)
    client_names = dict(db.session.execute(select(OAuthClient.id, OAuthClient.name)).all())
    document = {
        "format": "idp-member-export/1",
        "account": {
            "subject": account.subject,
            "member_number": account.member_number,
            "first_name": account.first_name,
            "last_name": account.last_name,
            "birth_date": _iso(account.birth_date),
            "email": account.email,
            "email_verified": account.email_verified,
            "phone": account.phone,
            "phone_verified": account.phone_verified,
            "status": account.status.value,
            "locale": account.locale,
            "is_admin": account.is_admin,
            "created_at": _iso(account.created_at),
            "activated_at": _iso(account.activated_at),
            "password_changed_at": _iso(account.password_changed_at),
            "locked_until": _iso(account.locked_until),
            "failed_logins": account.failed_logins,
        },
        "register_record": None
        if member is None
        else {
            "member_number": member.member_number,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "birth_date": _iso(member.birth_date),
            "status": str(member.status.value),
            "updated_at": _iso(member.updated_at),
        },
        "consents": [
            {
                "application": client_names.get(consent.client_pk),
                "scopes": list(consent.scopes or []),
                "granted_at": _iso(consent.granted_at),
            }
            for consent in db.session.scalars(
                select(Consent).where(Consent.account_id == account.id).order_by(Consent.id)
            )
        ],
        "sessions": [
            {
                "started_at": _iso(row.created_at),
                "last_seen_at": _iso(row.last_seen_at),
                "expires_at": _iso(row.expires_at),
                "ended_at": _iso(row.ended_at),
                "end_reason": row.end_reason,
                "ip_address": row.ip_address,
                "user_agent": row.user_agent,
            }
            for row in db.session.scalars(
                select(SsoSession)
                .where(SsoSession.account_id == account.id)
                .order_by(SsoSession.id)
            )
        ],
        # Metadata only: the tokens themselves are not kept (their digests say nothing).
        "tokens": [
            {
                "application": client_names.get(token.client_pk),
                "scope": token.scope,
                "issued_at": _iso(token.issued_at),
                "access_expires_at": _iso(token.access_expires_at),
                "refresh_expires_at": _iso(token.refresh_expires_at),
                "refresh_used_at": _iso(token.refresh_used_at),
                "revoked_at": _iso(token.revoked_at),
            }
            for token in db.session.scalars(
                select(Token).where(Token.account_id == account.id).order_by(Token.id)
            )
        ],
        "mailed_links": [
            {
                "purpose": link.purpose.value,
                "created_at": _iso(link.created_at),
                "expires_at": _iso(link.expires_at),
                "used_at": _iso(link.used_at),
                "voided_at": _iso(link.voided_at),
            }
            for link in db.session.scalars(
                select(OneTimeToken)
                .where(OneTimeToken.account_id == account.id)
                .order_by(OneTimeToken.id)
            )
        ],
        "mails": [
            {
                "kind": message.kind,
                "recipient": message.recipient,
                "subject": message.subject,
                "created_at": _iso(message.created_at),
                "status": message.status.value,
                "sent_at": _iso(message.sent_at),
            }
            for message in db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == account.email)
                .order_by(OutboxMessage.id)
            )
        ],
        "second_factor": _second_factor(account.id),
        "mail_requests": [
            {"kind": row.kind, "created_at": _iso(row.created_at), "ip_address": row.ip_address}
            for row in db.session.scalars(
                select(MailRequest)
                .where(MailRequest.email == account.email)
                .order_by(MailRequest.id)
            )
        ],
        "audit_events": _audit_events(account.id),
    }
    record(
        "admin_action",
        account_id=admin_id,
        ip_address=ip_address,
        action="export_account",
        target_account_id=account.id,
    )
    return document, f"donnees-{account.member_number}.json"


def _second_factor(account_id: int) -> dict:
    """When second factors were set up and used; never their secrets or codes."""
    app = db.session.scalar(select(TotpAuthenticator).filter_by(account_id=account_id))
    codes = db.session.scalars(select(RecoveryCode).filter_by(account_id=account_id)).all()
    return {
        "authenticator_app": None
        if app is None
        else {"created_at": _iso(app.created_at), "confirmed_at": _iso(app.confirmed_at)},
        "recovery_codes": {
            "count": len(codes),
            "used_at": sorted(_iso(code.used_at) for code in codes if code.used_at),
        },
        "sms_codes": [
            {
                "purpose": str(code.purpose.value),
                "phone": code.phone,
                "created_at": _iso(code.created_at),
                "used_at": _iso(code.used_at),
            }
            for code in db.session.scalars(
                select(PhoneCode).filter_by(account_id=account_id).order_by(PhoneCode.id)
            )
        ],
    }


def _audit_events(account_id: int) -> list[dict]:
    """The member's own events in full; the staff's actions on the account without who did
    them or from where (that is the staff's data, not the member's)."""
    own = db.session.scalars(
        select(AuditEvent).where(AuditEvent.account_id == account_id).order_by(AuditEvent.id)
    )
    events = [
        (
            event.id,
            {
                "at": _iso(event.created_at),
                "event": event.event,
                "application": event.client_id,
                "ip_address": event.ip_address,
                "details": dict(event.details or {}),
            },
        )
        for event in own
    ]
    on_it = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.event == "admin_action",
            AuditEvent.details["target_account_id"].as_integer() == account_id,
        )
        .order_by(AuditEvent.id)
    )
    events += [
        (
            event.id,
            {
                "at": _iso(event.created_at),
                "event": "admin_action",
                "details": {"action": (event.details or {}).get("action")},
            },
        )
        for event in on_it
    ]
    return [entry for _id, entry in sorted(events, key=lambda pair: pair[0])]


@operation
def delete_account(
    account_id: int, *, admin_id: int, now: datetime, ip_address: str | None = None
) -> str:
    """Erase the account and its personal data; returns the audit pseudonym it leaves."""
    account = lock_account(account_id)
    if account.id == admin_id:
        raise AdminActionError("self_delete")
    pseudonym = f"supprime-{secrets.token_hex(6)}"
    revoked = revoke_grants(now=now, account_id=account.id)
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.account_id == account.id)):
        details = {
            key: value
            for key, value in (event.details or {}).items()
            if key not in PERSONAL_DETAILS
        }
        event.details = {**details, "pseudonym": pseudonym}
        event.account_id = None
        event.ip_address = None
    for model, column in (
        (OutboxMessage, OutboxMessage.recipient),
        (MailRequest, MailRequest.email),
    ):
        db.session.execute(
            delete(model)
            .where(column == account.email)
            .execution_options(synchronize_session=False)
        )
    personal_rows = (
        Token,
        Consent,
        SsoSession,
        OneTimeToken,
        TotpAuthenticator,
        RecoveryCode,
        PhoneCode,
    )
    for personal in personal_rows:
        db.session.execute(
            delete(personal)
            .where(personal.account_id == account.id)
            .execution_options(synchronize_session=False)
        )
    # Whatever else refers to the account (authorization codes) goes by ON DELETE CASCADE.
    target = account.id
    db.session.delete(account)
    record(
        "admin_action",
        account_id=admin_id,
        ip_address=ip_address,
        action="delete_account",
        target_account_id=target,
        pseudonym=pseudonym,
        tokens_revoked=revoked,
    )
    return pseudonym
