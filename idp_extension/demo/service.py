"""Demo set-up: sample members and the demo member portal as a registered relying party.

Idempotent: run it again and the members are upserted, the portal's client is reused with a
fresh secret (only its digest is stored, so handing the secret to the portal means a new one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..db import db
from ..models import OutboxChannel, OutboxMessage, OutboxStatus
from ..models.oauth import OAuthClient
from ..security.audit import record
from ..security.sealing import unseal
from ..security.tokens import digest, new_token
from ..settings import settings
from ..transaction import operation

SAMPLE_MEMBERS = Path(__file__).resolve().parents[2] / "demo" / "sample-members.csv"
DEFAULT_PORTAL_URL = "http://127.0.0.1:5001"
DEMO_PORTAL_NAME = "Portail adhérent (démo)"


class DemoSetupError(RuntimeError):
    """The demo cannot be set up; the message says why."""


class DemoModeOffError(DemoSetupError):
    """The demo set-up only runs with IDP_DEMO on (mailbox page, demo data)."""


@dataclass(frozen=True)
class DemoSetup:
    members_imported: int
    members_rejected: int
    client_id: str
    client_secret: str
    client_created: bool
    portal_url: str


def portal_uris(portal_url: str) -> tuple[str, str]:
    """The demo portal's redirect URI and post-logout redirect URI."""
    base = portal_url.rstrip("/")
    return f"{base}/callback", f"{base}/"


@operation
def prepare_demo(
    *, members_csv: Path = SAMPLE_MEMBERS, portal_url: str = DEFAULT_PORTAL_URL
) -> DemoSetup:
    """Import the sample members and register (or refresh) the demo portal's client, together."""
    if not settings().demo:
        raise DemoModeOffError(
            "demo mode is off: set IDP_DEMO=1 (it enables the mailbox page "
            "at /demo/mailbox that the demo's mail goes to)"
        )
    members, rejected = _import_members(members_csv)
    client, secret, created = _register_portal(portal_url)
    return DemoSetup(
        members_imported=members,
        members_rejected=rejected,
        client_id=client.client_id,
        client_secret=secret,
        client_created=created,
        portal_url=portal_url.rstrip("/"),
    )


def _import_members(members_csv: Path) -> tuple[int, int]:
    from ..enrollment.importing import ImportFileError, import_members

    try:
        report = import_members(members_csv.read_bytes())
    except (ImportFileError, OSError) as error:
        raise DemoSetupError(f"{members_csv}: {error}") from None
    return report.added + report.updated + report.unchanged, report.rejected_count


def _register_portal(portal_url: str) -> tuple[OAuthClient, str, bool]:
    from ..oidc.clients import create_client

    redirect_uri, post_logout_uri = portal_uris(portal_url)
    client = db.session.scalars(
        select(OAuthClient).where(OAuthClient.name == DEMO_PORTAL_NAME).order_by(OAuthClient.id)
    ).first()
    if client is None:
        client, secret = create_client(
            DEMO_PORTAL_NAME,
            [redirect_uri],
            [post_logout_uri],
            auth_method="client_secret_basic",
            first_party=True,
        )
        assert secret is not None  # a client_secret_basic client has one
        return client, secret, True
    secret = new_token()
    client.client_secret_digest = digest(secret)
    client.redirect_uris = [redirect_uri]
    client.post_logout_redirect_uris = [post_logout_uri]
    client.token_endpoint_auth_method = "client_secret_basic"  # noqa: S105 - a method name
    client.is_public = False
    client.first_party = True
    client.disabled_at = None
    record("client_secret_rotated", client_id=client.client_id, reason="demo set-up")
    return client, secret, False


def mailbox_messages(limit: int = 50) -> list[OutboxMessage]:
    """The demo mailbox: delivered messages, newest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENT)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def sms_texts(messages: list[OutboxMessage]) -> dict[int, str]:
    """The text of each SMS among ``messages`` (the demo SMS sender keeps bodies), by id."""
    key = current_app.config["SECRET_KEY"]
    return {
        message.id: unseal(key, message.body_text)
        for message in messages
        if message.channel == OutboxChannel.SMS.value and message.body_text
    }


def delivered_message(message_id: int) -> OutboxMessage | None:
    """A delivered message that has an HTML body to show, or None."""
    found = db.session.get(OutboxMessage, message_id)
    if found is None or found.status != OutboxStatus.SENT or not found.body_html:
        return None
    return found


def message_html(message: OutboxMessage) -> str:
    """The message's HTML part, unsealed (the demo transport keeps bodies)."""
    assert message.body_html is not None  # delivered_message() shows only those that have one
    return unseal(current_app.config["SECRET_KEY"], message.body_html)
