"""Admin console rules: what admins may see and change, each change audited as "admin_action"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .. import clock
from ..db import db
from ..mail import outbox
from ..models import (
    Account,
    OutboxMessage,
    OutboxStatus,
)
from ..models.keys import SigningKey
from ..models.oauth import OAuthClient
from ..oidc import clients as client_registry
from ..oidc import keys as signing_keys
from ..oidc.revocation import revoke_grants
from ..security.audit import record
from ..transaction import operation
from .errors import AdminActionError

LIST_LIMIT = 200


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_outbox(limit: int = LIST_LIMIT) -> list[OutboxMessage]:
    """Outgoing mail, failed first, then newest first."""
    failed_first = (OutboxMessage.status == OutboxStatus.FAILED).desc()
    return list(
        db.session.scalars(
            select(OutboxMessage).order_by(failed_first, OutboxMessage.id.desc()).limit(limit)
        )
    )


@operation
def retry_mail(message_id: int, *, admin_id: int, ip_address: str | None = None) -> OutboxMessage:
    """Put a failed message back in the queue, due now, with a fresh series of attempts."""
    try:
        message = outbox.requeue_failed(message_id)
    except outbox.OutboxMessageNotFoundError:
        raise AdminActionError("not_found") from None
    except outbox.MessageNotFailedError:
        raise AdminActionError("not_failed") from None
    record(
        "admin_action",
        account_id=admin_id,
        ip_address=ip_address,
        action="retry_mail",
        outbox_id=message.id,
        kind=message.kind,
        last_error=message.last_error,
    )
    return message


@operation
def make_admin(email: str) -> Account | None:
    """Give admin rights to the account with this email; None when no account has it."""
    account = db.session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None:
        return None
    if not account.is_admin:
        account.is_admin = True
        record(
            "admin_action",
            account_id=None,
            action="grant_admin",
            target_account_id=account.id,
            via="command",
        )
    return account


def list_clients() -> list[OAuthClient]:
    """Relying parties, newest first."""
    return list(
        db.session.scalars(
            select(OAuthClient).order_by(OAuthClient.created_at.desc(), OAuthClient.id.desc())
        )
    )


@operation
def create_client(
    *,
    name: str,
    redirect_uris: list[str],
    post_logout_uris: list[str],
    public: bool,
    auth_method: str,
    first_party: bool,
    scopes: list[str],
    admin_id: int,
    ip_address: str | None = None,
) -> tuple[OAuthClient, str | None]:
    """Register a relying party; return it and its secret in clear, shown once (None if public).

    Raises ``ClientRegistrationError`` (nothing written) when the settings are refused.
    """
    client, secret = client_registry.create_client(
        name,
        redirect_uris,
        post_logout_uris,
        public=public,
        auth_method=auth_method,
        first_party=first_party,
        scopes=scopes,
    )
    record(
        "admin_action",
        account_id=admin_id,
        ip_address=ip_address,
        action="create_client",
        client_id=client.client_id,
        name=client.name,
        public=client.is_public,
    )
    return client, secret


@operation
def set_client_enabled(
    client_pk: int, enabled: bool, *, admin_id: int, now: datetime, ip_address: str | None = None
) -> OAuthClient:
    """Disable a relying party (the provider then refuses it everywhere) or enable it again."""
    # An id beyond PostgreSQL's integer cannot name a row (and would make it raise).
    client = (
        db.session.get(OAuthClient, client_pk, with_for_update=True)
        if 0 < client_pk < 2**31
        else None
    )
    if client is None:
        raise AdminActionError("not_found")
    if (client.disabled_at is None) == enabled:
        return client
    client.disabled_at = None if enabled else now
    # Revoked, not merely refused while disabled: enabling again resurrects nothing.
    revoked = 0 if enabled else revoke_grants(now=now, client_pk=client.id)
    record(
        "admin_action",
        account_id=admin_id,
        ip_address=ip_address,
        action="enable_client" if enabled else "disable_client",
        client_id=client.client_id,
        tokens_revoked=revoked,
    )
    return client


def list_signing_keys() -> list[signing_keys.KeyState]:
    """Every signing key, newest first, with its state (published / active / retired) now."""
    return list(reversed(signing_keys.key_states(clock.now())))


@operation
def rotate_signing_keys(
    *, admin_id: int, ip_address: str | None = None, emergency: bool = False
) -> tuple[list[SigningKey], list[SigningKey]]:
    """A new key per algorithm in use, published now and signing once every cached JWKS has
    it (``emergency``: at once, the old keys withdrawn); see oidc/keys.py."""
    created, retired = signing_keys.rotate_keys(emergency=emergency)
    record(
        "admin_action",
        account_id=admin_id,
        ip_address=ip_address,
        action="rotate_signing_keys",
        emergency=emergency,
        created=[key.kid for key in created],
        retired=[key.kid for key in retired],
    )
    return created, retired
