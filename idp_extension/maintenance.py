"""Data retention: delete rows that have expired and serve no purpose any more.

Run by ``flask idp purge`` (see ``maintenance_commands``), typically once a day from cron or a
systemd timer, so tables stay small and the look-ups over them (a client's codes when checking
a nonce, a family's tokens when revoking it) stay fast. Everything is deleted ``keep_days``
after it stopped being usable, by bulk DELETE statements in one transaction:

- **tokens** (access and refresh): once revoked, or expired (access token expired and refresh
  token expired or already rotated), more than ``keep_days`` ago, and only when nothing of their
  *family* is live any more. A family (one grant: a code and all its refresh rotations) is live
  while one of its rows is unrevoked and still usable: an unexpired access token, or an unused
  and unexpired refresh token. Its rotated refresh tokens are kept meanwhile: replaying one is
  how a stolen refresh token is detected, and it must still revoke the family.
- **authorization codes**: expired more than ``keep_days`` ago and no token row points at them
  any more. A used code is what recognises a replayed code (which revokes what it was exchanged
  for) and holds the scope a refresh keeps, so it stays as long as its tokens; since tokens of a
  live family are never purged, neither is their code.
- **SSO sessions**: ended (logout, replaced...) or past their absolute end (``expires_at``,
  which also bounds idle sessions) more than ``keep_days`` ago.
- **one-time links** (activation, password reset): expired, used or voided more than
  ``keep_days`` ago. Afterwards such a link is unknown: an old activation link of an account
  already activated shows "invalid link" instead of "already activated", and an expired one no
  longer offers a new link (the member signs up again, which replaces a pending account).
- **outgoing mail**: SENT messages sent more than ``keep_days`` ago (their bodies are already
  emptied); FAILED messages stay in the admin console for ``FAILED_MAIL_KEEP_DAYS`` (or
  ``keep_days`` if longer); pending and in-flight messages are never touched.

The audit trail is **never** purged here: how long security events are kept is the insurer's
legal decision, taken outside this command. Accounts, consents, clients, keys and the member
registry are not touched either.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select

from .db import db, rowcount
from .models import OneTimeToken, OutboxMessage, OutboxStatus, PhoneCode, SsoSession
from .models.oauth import AuthorizationCode, Token
from .security.audit import record
from .transaction import operation

DEFAULT_KEEP_DAYS = 7
# A century: any longer is a typing mistake (and would overflow the date arithmetic).
MAX_KEEP_DAYS = 36500
# Failed mail is what an admin investigates (wrong address, refused domain): kept longer.
FAILED_MAIL_KEEP_DAYS = 90


@operation
def purge_expired(now: datetime, *, keep_days: int = DEFAULT_KEEP_DAYS) -> dict[str, int]:
    """Delete what stopped being usable more than ``keep_days`` days before ``now``; commit.

    Returns how many rows went, by kind: ``codes``, ``tokens``, ``sessions``, ``links``,
    ``mails``. Writes the audit event ``data_purged`` with those counts. All or nothing (one
    operation): on any error nothing is deleted.
    """
    if (
        isinstance(keep_days, bool)
        or not isinstance(keep_days, int)
        or not 1 <= keep_days <= MAX_KEEP_DAYS
    ):
        raise ValueError(f"keep_days must be a whole number of days from 1 to {MAX_KEEP_DAYS}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    cutoff = now - timedelta(days=keep_days)
    failed_cutoff = now - timedelta(days=max(keep_days, FAILED_MAIL_KEEP_DAYS))
    counts = {
        # Tokens first: a code goes only once no token points at it.
        "tokens": _delete(
            delete(Token).where(
                _token_ended_before(cutoff), Token.family_id.not_in(_live_families(now))
            )
        ),
        "codes": _delete(
            delete(AuthorizationCode).where(
                AuthorizationCode.expires_at < cutoff,
                ~exists().where(Token.authorization_code_id == AuthorizationCode.id),
            )
        ),
        "sessions": _delete(
            delete(SsoSession).where(
                or_(SsoSession.ended_at < cutoff, SsoSession.expires_at < cutoff)
            )
        ),
        # Mailed links, and the codes sent by SMS (they expire within minutes).
        "links": _delete(
            delete(OneTimeToken).where(
                or_(
                    OneTimeToken.expires_at < cutoff,
                    OneTimeToken.used_at < cutoff,
                    OneTimeToken.voided_at < cutoff,
                )
            )
        )
        + _delete(delete(PhoneCode).where(PhoneCode.expires_at < cutoff)),
        "mails": _delete(
            delete(OutboxMessage).where(
                or_(
                    and_(
                        OutboxMessage.status == OutboxStatus.SENT,
                        OutboxMessage.sent_at < cutoff,
                    ),
                    and_(
                        OutboxMessage.status == OutboxStatus.FAILED,
                        OutboxMessage.created_at < failed_cutoff,
                    ),
                )
            )
        ),
    }
    record(
        "data_purged",
        keep_days=keep_days,
        codes=counts["codes"],
        tokens=counts["tokens"],
        sessions=counts["sessions"],
        links=counts["links"],
        mails=counts["mails"],
    )
    return counts


def _live_families(now: datetime):
    """Family ids with a row still usable: unrevoked, and its access token unexpired or its
    refresh token unused and unexpired."""
    return select(Token.family_id).where(
        Token.revoked_at.is_(None),
        or_(
            Token.access_expires_at > now,
            and_(
                Token.refresh_token_digest.is_not(None),
                Token.refresh_used_at.is_(None),
                Token.refresh_expires_at > now,
            ),
        ),
    )


def _token_ended_before(cutoff: datetime):
    """A row nothing could use after ``cutoff``: revoked before it, or its access token expired
    before it and its refresh token absent, rotated or expired before it."""
    return or_(
        Token.revoked_at < cutoff,
        and_(
            Token.revoked_at.is_(None),
            Token.access_expires_at < cutoff,
            or_(
                Token.refresh_token_digest.is_(None),
                Token.refresh_used_at < cutoff,
                Token.refresh_expires_at < cutoff,
            ),
        ),
    )


def _delete(statement) -> int:
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return rowcount(result)
