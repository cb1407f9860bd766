"""Writing security events to the audit table (caller's transaction, no secrets)."""

from __future__ import annotations

from ..db import db
from ..models import AuditEvent

# Keys whose values are never written, whoever passes them.
_SECRET_KEYS = {
    "password",
    "token",
    "code",
    "secret",
    "client_secret",
    "refresh_token",
    "access_token",
    "id_token",
}


def record(
    event: str,
    *,
    account_id: int | None = None,
    client_id: str | None = None,
    ip_address: str | None = None,
    **details,
) -> AuditEvent:
    """Add an audit event to the current transaction; the caller commits it with its change."""
    leaked = _SECRET_KEYS.intersection(details)
    if leaked:
        raise ValueError(f"audit details must not hold secrets: {sorted(leaked)}")
    entry = AuditEvent(
        event=event,
        account_id=account_id,
        client_id=client_id,
        ip_address=ip_address,
        details=details,
    )
    db.session.add(entry)
    return entry
