"""The SSO session: who is signed in, since when, and where to go back after a journey.

Flask's signed cookie (HttpOnly, SameSite=Lax, Secure behind TLS) carries a random session id
whose SHA-256 is a row of ``sso_sessions``: signing out ends the row, so a copy of the cookie
taken before stops working, and a session ends ``IDP_SESSION_MAX_AGE`` seconds after sign-in
however busy it is, or ``IDP_SESSION_LIFETIME`` seconds after its last use. App servers stay
stateless: the row is in the shared database.

A sign-in clears whatever the cookie held before (no session fixation) except the pending
destination, which the journey must keep.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, request, session
from sqlalchemy import select, update

from . import clock
from .clock import as_utc
from .db import db, rowcount
from .models import Account, AccountStatus, SsoSession
from .models.sso_session import IP_ADDRESS_LENGTH, USER_AGENT_LENGTH
from .security import tokens
from .security.audit import record
from .settings import settings
from .transaction import transaction

_KEEP_ACROSS_SIGN_IN = ("next", "lang", "pending_authorization")
# The cookie keys that make a browser signed in; dropped when its session is over.
_SIGN_IN_KEYS = ("sid", "auth_time", "amr", "password_stamp", "account_id")
SESSION_ID_KEY = "sid"
# last_seen_at is written at most this often: no write per request for a busy session.
TOUCH_INTERVAL = timedelta(minutes=1)


def sign_in(
    account: Account, now: datetime, method: str = "pwd", methods: list[str] | None = None
) -> None:
    """Start a new server-side session for ``account`` in this browser and commit it.

    ``methods`` lists how the member proved who they are (RFC 8176: ``pwd``, then ``sms`` or
    ``otp`` and ``mfa`` after a second factor); by default ``[method]``.

    Call it after the service that authenticated the member has committed: the session row
    (and the end of this browser's previous session) is an operation of its own, committed
    before the cookie names it.
    """
    _require_nothing_pending()
    previous = session.get(SESSION_ID_KEY)
    kept = {key: session[key] for key in _KEEP_ACROSS_SIGN_IN if key in session}
    session.clear()
    _forget_csrf_token()
    session.update(kept)

    ip_address = _client_ip()
    methods = list(methods or [method])
    token = tokens.new_token()
    with transaction():
        if isinstance(previous, str):
            _end_by_token(previous, now, "replaced", ip_address)
        row = SsoSession(
            digest=tokens.digest(token),
            account_id=account.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + settings().session_max_age,
            ip_address=ip_address,
            user_agent=_user_agent(),
            amr=methods,
            second_factor_at=now if len(methods) > 1 else None,
        )
        db.session.add(row)
        db.session.flush()
        record(
            "session_started",
            account_id=account.id,
            ip_address=ip_address,
            sso_session_id=row.id,
            method=" ".join(methods),
        )
        # Changing the password elsewhere ends this session (see signed_in_account).
        stamp = password_stamp(account)

    session.permanent = True
    session[SESSION_ID_KEY] = token
    session["auth_time"] = int(now.timestamp())
    session["amr"] = methods
    session["password_stamp"] = stamp


def session_methods() -> list[str]:
    """How this browser's session was authenticated (RFC 8176 values); ``["pwd"]`` at least."""
    token = session.get(SESSION_ID_KEY)
    if not isinstance(token, str):
        return []
    token_digest = tokens.digest(token)
    # The row signed_in_account() read for this request answers, without a second read.
    row = g.get("idp_sso_row")
    if row is not None and row.digest == token_digest:
        return list(row.amr or ["pwd"])
    methods = db.session.scalar(select(SsoSession.amr).where(SsoSession.digest == token_digest))
    return list(methods or ["pwd"])


def add_methods(account: Account, methods: list[str], now: datetime, method: str) -> None:
    """Step up this browser's live session: record the second factor just given; commits."""
    token = session.get(SESSION_ID_KEY)
    if not isinstance(token, str):
        raise RuntimeError("no session to step up")
    with transaction():
        row = db.session.scalar(select(SsoSession).where(SsoSession.digest == tokens.digest(token)))
        if row is None or row.account_id != account.id:
            raise RuntimeError("no session of this account to step up")
        row.amr = list(methods)
        row.second_factor_at = now
        record(
            "session_stepped_up",
            account_id=account.id,
            ip_address=_client_ip(),
            sso_session_id=row.id,
            method=method,
        )
    session["amr"] = list(methods)


def sign_out() -> None:
    """End this browser's session, on the server too, and forget everything but the language."""
    token = session.get(SESSION_ID_KEY)
    lang = session.get("lang")
    session.clear()
    _forget_csrf_token()
    if lang:
        session["lang"] = lang
    if isinstance(token, str):
        with transaction():
            _end_by_token(token, clock.now(), "logout", _client_ip())


def end_account_sessions(
    account_id: int,
    *,
    now: datetime,
    reason: str,
    ip_address: str | None = None,
    keep_digest: str | None = None,
) -> int:
    """End every live session of an account, in the caller's transaction; how many ended.

    For a service that closes an account: its caller commits, with the audit it writes.
    ``keep_digest`` spares one session (the member's own, when they sign out the others).
    """
    query = select(SsoSession.id).where(
        SsoSession.account_id == account_id, SsoSession.ended_at.is_(None)
    )
    if keep_digest is not None:
        query = query.where(SsoSession.digest != keep_digest)
    live = db.session.scalars(query).all()
    return sum(_end(row_id, account_id, now, reason, ip_address) for row_id in live)


def _forget_csrf_token() -> None:
    """The CSRF secret went with the session: drop Flask-WTF's copy of the signed token too,
    so the next form gets a fresh one (the token is rotated at sign-in, never carried over)."""
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def current_session_digest() -> str | None:
    """The digest (the ``sso_sessions`` key) of this browser's session id, or None."""
    token = session.get(SESSION_ID_KEY)
    return tokens.digest(token) if isinstance(token, str) else None


def signed_in_account() -> Account | None:
    """The active account of this browser's live session, or None."""
    token = session.get(SESSION_ID_KEY)
    if not isinstance(token, str):
        _drop_sign_in_keys()
        return None
    now = clock.now()
    found = db.session.execute(
        select(SsoSession, Account)
        .join(Account, SsoSession.account_id == Account.id)
        .where(SsoSession.digest == tokens.digest(token))
    ).first()
    if found is None:
        _drop_sign_in_keys()
        return None
    row, account = found
    reason = _why_over(row, account, now)
    if reason is not None:
        _drop_sign_in_keys()
        # Its own small operation, only when nothing else waits in the session to be written.
        if row.ended_at is None and _nothing_pending():
            with transaction():
                _end(row.id, account.id, now, reason, _client_ip())
        return None
    if now - as_utc(row.last_seen_at) >= TOUCH_INTERVAL and _nothing_pending():
        with transaction():
            row.last_seen_at = now
    g.idp_sso_row = row
    return account


def _why_over(row: SsoSession, account: Account, now: datetime) -> str | None:
    """Why this session no longer signs anybody in, or None while it does."""
    if row.ended_at is not None:
        return "ended"
    if account.status != AccountStatus.ACTIVE:
        return "account_disabled" if account.status == AccountStatus.DISABLED else "inactive"
    if session.get("password_stamp") != password_stamp(account):
        return "password_changed"
    if now >= as_utc(row.expires_at):
        return "expired"
    idle = settings().session_lifetime
    if now - as_utc(row.last_seen_at) >= idle:
        return "idle"
    return None


def _end_by_token(token: str, now: datetime, reason: str, ip_address: str | None) -> bool:
    row = db.session.execute(
        select(SsoSession.id, SsoSession.account_id).where(
            SsoSession.digest == tokens.digest(token)
        )
    ).first()
    return row is not None and _end(row.id, row.account_id, now, reason, ip_address)


def _end(row_id: int, account_id: int, now: datetime, reason: str, ip_address: str | None) -> bool:
    """Mark one session ended (once, even under parallel requests) and audit it."""
    ended = db.session.execute(
        update(SsoSession)
        .where(SsoSession.id == row_id, SsoSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if rowcount(ended) != 1:
        return False
    record(
        "session_ended",
        account_id=account_id,
        ip_address=ip_address,
        sso_session_id=row_id,
        reason=reason,
    )
    return True


def _drop_sign_in_keys() -> None:
    """Forget the sign-in, keep the journey (pending destination, authorization, language)."""
    for key in _SIGN_IN_KEYS:
        session.pop(key, None)


def _nothing_pending() -> bool:
    """Whether committing now would write only what this module adds."""
    return not (db.session.new or db.session.dirty or db.session.deleted)


def _require_nothing_pending() -> None:
    if not _nothing_pending():
        raise RuntimeError("sign_in() commits: call it after the service committed its change")


def _client_ip() -> str | None:
    if not has_request_context() or request.remote_addr is None:
        return None
    return request.remote_addr[:IP_ADDRESS_LENGTH]


def _user_agent() -> str | None:
    """The browser's User-Agent as a reader of the session list needs it: printable, short."""
    raw = request.headers.get("User-Agent", "") if has_request_context() else ""
    printable = "".join(char for char in raw if char.isprintable())
    return printable[:USER_AGENT_LENGTH] or None


def auth_time() -> int | None:
    return session.get("auth_time")


def remember_next(url: str) -> None:
    """Keep where the member must land once signed in (a relative URL of this provider only)."""
    if is_local_url(url):
        session["next"] = url


def pop_next(default: str) -> str:
    url = session.pop("next", None)
    return url if url and is_local_url(url) else default


def is_local_url(url: str) -> bool:
    parts = urlsplit(url)
    return (
        not parts.scheme
        and not parts.netloc
        and url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
    )


def password_stamp(account: Account) -> str:
    """Changes with the password: what a session (or a pending sign-in) was opened under."""
    changed = account.password_changed_at
    return changed.isoformat() if changed else ""
