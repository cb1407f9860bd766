"""Data retention: ``flask idp purge`` and ``maintenance.purge_expired``.

Rows are built at chosen moments of the injected clock; the purge must delete exactly those
that stopped being usable more than ``keep_days`` ago, and keep what still detects a replay.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from idp_extension.db import db
from idp_extension.maintenance import purge_expired
from idp_extension.models import (
    AuditEvent,
    OneTimeToken,
    OutboxMessage,
    OutboxStatus,
    SsoSession,
    TokenPurpose,
)
from idp_extension.models.oauth import AuthorizationCode, Token
from idp_extension.oidc.clients import create_client
from idp_extension.security.tokens import digest

from .conftest import both_databases, page_text
from .enrollment.test_journey import set_password, sign_up_and_receive
from .mailparse import link_labelled
from .oidc import conftest as oidc
from .oidc.conftest import make_account, signed_in

# The provider over real HTTP, a relying party and the member's browser, as in tests/oidc.
app_config = oidc.app_config
live_port, issuer, provider_url = oidc.live_port, oidc.issuer, oidc.provider_url
member, browser = oidc.member, oidc.browser
register_client, rp_client, relying_party = (
    oidc.register_client,
    oidc.rp_client,
    oidc.relying_party,
)

KEEP = 7


def ago(now, **delta):
    return now - timedelta(**delta)


def later(now, **delta):
    return now + timedelta(**delta)


class Rows:
    """Builds rows of every purged kind for one member and one client, at chosen times."""

    def __init__(self, app):
        self.account_id, _ = make_account(app)
        with app.app_context():
            client, _ = create_client("Portail", ["https://rp.example/cb"], [])
            self.client_pk = client.id

    def code(self, expires_at) -> AuthorizationCode:
        row = AuthorizationCode(
            code_digest=digest(secrets.token_urlsafe()),
            client_pk=self.client_pk,
            account_id=self.account_id,
            redirect_uri="https://rp.example/cb",
            scope="openid",
            created_at=expires_at - timedelta(minutes=2),
            expires_at=expires_at,
        )
        db.session.add(row)
        db.session.flush()
        return row

    def token(
        self,
        family: str,
        *,
        access_expires_at,
        code=None,
        refresh_expires_at=None,
        refresh_used_at=None,
        revoked_at=None,
        refresh=True,
    ) -> Token:
        row = Token(
            client_pk=self.client_pk,
            account_id=self.account_id,
            scope="openid",
            access_token_digest=digest(secrets.token_urlsafe()),
            refresh_token_digest=digest(secrets.token_urlsafe()) if refresh else None,
            family_id=family,
            authorization_code_id=code.id if code else None,
            issued_at=access_expires_at - timedelta(minutes=10),
            access_expires_at=access_expires_at,
            refresh_expires_at=refresh_expires_at if refresh else None,
            refresh_used_at=refresh_used_at,
            revoked_at=revoked_at,
        )
        db.session.add(row)
        db.session.flush()
        return row

    def session(self, *, expires_at, ended_at=None) -> SsoSession:
        row = SsoSession(
            digest=digest(secrets.token_urlsafe()),
            account_id=self.account_id,
            created_at=expires_at - timedelta(hours=12),
            last_seen_at=expires_at - timedelta(hours=12),
            expires_at=expires_at,
            ended_at=ended_at,
            end_reason="logout" if ended_at else None,
        )
        db.session.add(row)
        db.session.flush()
        return row

    def link(
        self, *, expires_at, used_at=None, voided_at=None, purpose=TokenPurpose.ACTIVATION
    ) -> OneTimeToken:
        row = OneTimeToken(
            digest=digest(secrets.token_urlsafe()),
            purpose=purpose,
            account_id=self.account_id,
            created_at=expires_at - timedelta(days=1),
            expires_at=expires_at,
            used_at=used_at,
            voided_at=voided_at,
        )
        db.session.add(row)
        db.session.flush()
        return row

    def mail(self, status, *, created_at, sent_at=None) -> OutboxMessage:
        row = OutboxMessage(
            kind="activation",
            recipient="helene@example.fr",
            subject="S",
            body_text="" if status == OutboxStatus.SENT else "sealed",
            message_id=f"<{secrets.token_hex(8)}@mutuelle.test>",
            status=status,
            created_at=created_at,
            next_attempt_at=created_at,
            sent_at=sent_at,
            attempts=1,
        )
        db.session.add(row)
        db.session.flush()
        return row


def ids(model) -> set[int]:
    return set(db.session.scalars(select(model.id)))


@pytest.fixture
def rows(app):
    return Rows(app)


@both_databases
def test_purge_deletes_exactly_what_ended_more_than_keep_days_ago(app, rows, clock):
    now = clock.now()
    with app.app_context():
        # Codes: expired long ago and unused / recently expired.
        rows.code(ago(now, days=8))
        recent_code = rows.code(ago(now, days=6))

        # A live family: its first refresh token was rotated 20 days ago, its current one is
        # still valid. Every row of it, and its code, must stay.
        live_code = rows.code(ago(now, days=20))
        live_rotated = rows.token(
            "live",
            code=live_code,
            access_expires_at=ago(now, days=20),
            refresh_expires_at=later(now, days=10),
            refresh_used_at=ago(now, days=20),
        )
        live_current = rows.token(
            "live",
            code=live_code,
            access_expires_at=ago(now, days=20),
            refresh_expires_at=later(now, days=10),
        )
        # A family alive only through a short access token (its refresh token was rotated).
        access_code = rows.code(ago(now, days=40))
        access_rotated = rows.token(
            "access",
            code=access_code,
            access_expires_at=ago(now, days=40),
            refresh_expires_at=later(now, days=1),
            refresh_used_at=ago(now, days=40),
        )
        access_live = rows.token(
            "access", code=access_code, access_expires_at=later(now, minutes=5), refresh=False
        )

        # A dead family: rotated 50 days ago, its last refresh token expired 8 days ago.
        dead_code = rows.code(ago(now, days=60))
        rows.token(
            "dead",
            code=dead_code,
            access_expires_at=ago(now, days=50),
            refresh_expires_at=ago(now, days=30),
            refresh_used_at=ago(now, days=50),
        )
        rows.token(
            "dead",
            code=dead_code,
            access_expires_at=ago(now, days=38),
            refresh_expires_at=ago(now, days=8),
        )
        # Revoked 8 days ago, though its refresh token had not expired: gone.
        revoked_code = rows.code(ago(now, days=9))
        rows.token(
            "revoked-old",
            code=revoked_code,
            access_expires_at=ago(now, days=9),
            refresh_expires_at=later(now, days=21),
            revoked_at=ago(now, days=8),
        )
        # Revoked 2 days ago, or expired 2 days ago: kept a little longer, with their codes.
        revoked_recent_code = rows.code(ago(now, days=25))
        revoked_recent = rows.token(
            "revoked-recent",
            code=revoked_recent_code,
            access_expires_at=ago(now, days=25),
            refresh_expires_at=later(now, days=5),
            revoked_at=ago(now, days=2),
        )
        expired_recent = rows.token(
            "expired-recent",
            access_expires_at=ago(now, days=32),
            refresh_expires_at=ago(now, days=2),
        )
        # An access token alone, expired 8 days ago.
        rows.token("access-only", access_expires_at=ago(now, days=8), refresh=False)

        # SSO sessions.
        rows.session(expires_at=ago(now, days=8, hours=12), ended_at=ago(now, days=9))
        rows.session(expires_at=ago(now, days=8))  # never ended: expired (or idle) long ago
        ended_recent = rows.session(expires_at=ago(now, hours=12), ended_at=ago(now, days=1))
        live_session = rows.session(expires_at=later(now, hours=6))

        # One-time links.
        rows.link(expires_at=ago(now, days=8))
        rows.link(expires_at=later(now, days=1), used_at=ago(now, days=8))
        rows.link(
            expires_at=later(now, days=1),
            voided_at=ago(now, days=8),
            purpose=TokenPurpose.PASSWORD_RESET,
        )
        expired_link = rows.link(expires_at=ago(now, days=1))
        used_link = rows.link(expires_at=later(now, hours=1), used_at=ago(now, hours=2))
        live_link = rows.link(expires_at=later(now, hours=20))

        # Outgoing mail.
        rows.mail(OutboxStatus.SENT, created_at=ago(now, days=8), sent_at=ago(now, days=8))
        sent_recent = rows.mail(
            OutboxStatus.SENT, created_at=ago(now, days=6), sent_at=ago(now, days=6)
        )
        failed_recent = rows.mail(OutboxStatus.FAILED, created_at=ago(now, days=89))
        rows.mail(OutboxStatus.FAILED, created_at=ago(now, days=91))
        pending_old = rows.mail(OutboxStatus.PENDING, created_at=ago(now, days=100))
        sending_old = rows.mail(OutboxStatus.SENDING, created_at=ago(now, days=100))

        old_event = AuditEvent(
            event="login_ok", account_id=rows.account_id, created_at=ago(now, days=4000)
        )
        db.session.add(old_event)
        db.session.commit()
        events_before = db.session.scalar(select(func.count(AuditEvent.id)))

        counts = purge_expired(now, keep_days=KEEP)

        assert counts == {"codes": 3, "tokens": 4, "sessions": 2, "links": 3, "mails": 2}
        assert ids(AuthorizationCode) == {
            recent_code.id,
            live_code.id,
            access_code.id,
            revoked_recent_code.id,
        }
        assert ids(Token) == {
            live_rotated.id,
            live_current.id,
            access_rotated.id,
            access_live.id,
            revoked_recent.id,
            expired_recent.id,
        }
        assert ids(SsoSession) == {ended_recent.id, live_session.id}
        assert ids(OneTimeToken) == {expired_link.id, used_link.id, live_link.id}
        assert ids(OutboxMessage) == {
            sent_recent.id,
            failed_recent.id,
            pending_old.id,
            sending_old.id,
        }
        # The audit trail is never purged; the purge itself is in it, without secrets.
        assert db.session.scalar(select(func.count(AuditEvent.id))) == events_before + 1
        assert db.session.get(AuditEvent, old_event.id) is not None
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "data_purged")
        ).all()
        assert event.details == {"keep_days": KEEP, **counts}

        # Nothing more to do right after.
        assert purge_expired(now, keep_days=KEEP) == dict.fromkeys(counts, 0)


@both_databases
def test_command_prints_a_summary_or_json_and_uses_the_clock(app, rows, clock):
    now = clock.now()
    with app.app_context():
        rows.code(ago(now, days=3))
        rows.link(expires_at=ago(now, days=3))
        rows.mail(OutboxStatus.SENT, created_at=ago(now, days=10), sent_at=ago(now, days=10))
        db.session.commit()
    runner = app.test_cli_runner()

    default = runner.invoke(args=["idp", "purge"])
    assert default.exit_code == 0, default.output
    assert default.output == "purged: codes 0, tokens 0, sessions 0, links 0, mails 1\n"

    shorter = runner.invoke(args=["idp", "purge", "--keep-days", "2", "--json"])
    assert shorter.exit_code == 0, shorter.output
    assert json.loads(shorter.output) == {
        "codes": 1,
        "tokens": 0,
        "sessions": 0,
        "links": 1,
        "mails": 0,
    }

    # The injected clock decides what "ago" means, not the machine's.
    with app.app_context():
        rows.session(expires_at=ago(now, hours=1))
        db.session.commit()
    clock.advance(days=1, hours=2)
    later_run = runner.invoke(args=["idp", "purge", "--keep-days", "1"])
    assert later_run.output == "purged: codes 0, tokens 0, sessions 1, links 0, mails 0\n"


@pytest.mark.parametrize("value", ["0", "-3", "seven", "1.5", "9" * 40])
def test_command_refuses_a_keep_days_that_is_not_a_whole_day(app, rows, clock, value):
    with app.app_context():
        rows.link(expires_at=ago(clock.now(), days=30))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["idp", "purge", "--keep-days", value])
    assert result.exit_code == 2
    assert "--keep-days" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(OneTimeToken.id))) == 1


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "7", 36501, 10**40])
def test_service_refuses_a_keep_days_that_is_not_a_whole_day(app, clock, value):
    with app.app_context(), pytest.raises(ValueError, match="keep_days"):
        purge_expired(clock.now(), keep_days=value)


def refresh(rp, refresh_token):
    return requests.post(
        rp.config["token_endpoint"],
        timeout=10,
        auth=(rp.client.client_id, rp.client.client_secret),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
    )


@both_databases
def test_replayed_refresh_token_still_revokes_its_family_after_a_purge(
    app, member, browser, relying_party, clock
):
    signed_in(browser)
    first = relying_party.exchange(relying_party.run(browser, relying_party.start()))
    clock.advance(days=1)
    second = refresh(relying_party, first["refresh_token"])
    assert second.status_code == 200, second.text

    # 19 days later the first refresh token was rotated long ago and the code expired long
    # ago, but the family is alive: nothing of it goes.
    clock.advance(days=19)
    kept = app.test_cli_runner().invoke(args=["idp", "purge", "--json"])
    assert json.loads(kept.output)["tokens"] == 0 and json.loads(kept.output)["codes"] == 0

    third = refresh(relying_party, second.json()["refresh_token"])
    assert third.status_code == 200, third.text
    third = third.json()
    # Someone replays the stolen first refresh token: the whole family dies.
    replay = refresh(relying_party, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    stolen = refresh(relying_party, third["refresh_token"])
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    userinfo = requests.get(
        relying_party.config["userinfo_endpoint"],
        timeout=10,
        headers={"Authorization": f"Bearer {third['access_token']}"},
    )
    assert userinfo.status_code == 401
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.event == "refresh_reuse_detected"
                )
            )
            == 1
        )

    # Once revoked for more than the retention, the family and its code go.
    clock.advance(days=KEEP, minutes=1)
    gone = app.test_cli_runner().invoke(args=["idp", "purge", "--json"])
    assert json.loads(gone.output)["tokens"] == 3 and json.loads(gone.output)["codes"] == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Token.id))) == 0
    again = refresh(relying_party, first["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


@both_databases
def test_replayed_code_still_revokes_its_tokens_after_a_purge(
    app, member, browser, relying_party, clock
):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start())
    token = relying_party.exchange(flow)
    clock.advance(days=KEEP + 1)  # the access token expired, the refresh token lives on

    purged = app.test_cli_runner().invoke(args=["idp", "purge", "--json"])
    assert json.loads(purged.output)["codes"] == 0

    with pytest.raises(Exception, match="invalid_grant"):
        relying_party.exchange(flow)
    revoked = refresh(relying_party, token["refresh_token"])
    assert revoked.status_code == 400 and revoked.json()["error"] == "invalid_grant"


def activation_path(message) -> str:
    return urlsplit(link_labelled(message, "Activer mon compte")).path


def test_an_old_activation_link_is_gone_while_a_recent_one_still_works(app, members, smtp, clock):
    helene = app.test_client()
    old = activation_path(sign_up_and_receive(helene, smtp))
    clock.advance(days=KEEP + 2)
    zoe = app.test_client()
    recent = activation_path(
        sign_up_and_receive(
            zoe,
            smtp,
            first_name="Zoé",
            last_name="Cœur",
            birth_date="1992-02-29",
            member_number="87654321",
            email="zoe@example.org",
            email_confirm="zoe@example.org",
        )
    )
    # Before the purge the old link still says it expired and offers a new one.
    assert helene.get(old).status_code == 410

    result = app.test_cli_runner().invoke(args=["idp", "purge"])
    assert result.output == "purged: codes 0, tokens 0, sessions 0, links 1, mails 1\n"

    gone = helene.get(old)
    assert gone.status_code == 404
    assert "Ce lien a expiré" not in page_text(gone)
    page = zoe.get(recent)
    assert page.status_code == 200
    assert "Je définis mon mot de passe" in page_text(page)
    assert set_password(zoe, recent).status_code == 302
