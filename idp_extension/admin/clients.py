"""Admin rules for one relying party: its settings and its secret, each change audited."""

from __future__ import annotations

from ..db import db
from ..models.oauth import OAuthClient
from ..oidc import clients as client_registry
from ..security.audit import record
from ..transaction import operation
from .errors import AdminActionError


def get_client(client_pk: int, *, lock: bool = False) -> OAuthClient:
    # An id beyond PostgreSQL's integer cannot name a row (and would make it raise).
    client = (
        db.session.get(OAuthClient, client_pk, with_for_update=lock)
        if 0 < client_pk < 2**31
        else None
    )
    if client is None:
        raise AdminActionError("not_found")
    return client


@operation
def edit_client(
    client_pk: int,
    *,
    name: str,
    redirect_uris: list[str],
    post_logout_uris: list[str],
    scopes: list[str],
    first_party: bool,
    admin_id: int,
    ip_address: str | None = None,
) -> tuple[OAuthClient, list[str]]:
    """Save a client's settings; the client and what changed. Nothing is written when
    ``ClientRegistrationError`` says a setting is refused."""
    client = get_client(client_pk, lock=True)
    before = {
        "redirect_uris": list(client.redirect_uris or []),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris or []),
        "scopes": list(client.scopes or []),
    }
    changed = client_registry.update_client(
        client,
        name=name,
        redirect_uris=redirect_uris,
        post_logout_uris=post_logout_uris,
        scopes=scopes,
        first_party=first_party,
    )
    if changed:
        record(
            "admin_action",
            account_id=admin_id,
            ip_address=ip_address,
            client_id=client.client_id,
            action="edit_client",
            changed=changed,
            **{f"{key}_before": value for key, value in before.items() if key in changed},
        )
    return client, changed


@operation
def regenerate_secret(
    client_pk: int, *, admin_id: int, ip_address: str | None = None
) -> tuple[OAuthClient, str]:
    """A new secret, returned in clear to be shown once; the old one is refused from now on."""
    client = get_client(client_pk, lock=True)
    if client.is_public:
        raise AdminActionError("public_client")
    secret = client_registry.regenerate_secret(client)
    record(
        "admin_action",
        account_id=admin_id,
        ip_address=ip_address,
        client_id=client.client_id,
        action="regenerate_client_secret",
    )
    return client, secret
