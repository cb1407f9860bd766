"""The SSO session: who is signed in, since when, and where to go back after a journey.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure behind TLS): app servers
stay stateless. A sign-in clears whatever the cookie held before (no session fixation) except the
pending destination, which the journey must keep.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, g, session

from ..db import db
from ..models import Account, AccountStatus

_KEEP_ACROSS_SIGN_IN = ("next", "lang", "pending_authorization")


def sign_in(account: Account, now: datetime, method: str = "pwd") -> None:
    kept = {key: session[key] for key in _KEEP_ACROSS_SIGN_IN if key in session}
    session.clear()
    _forget_csrf_token()
    session.update(kept)
    session.permanent = True
    session["account_id"] = account.id
    session["auth_time"] = int(now.timestamp())
    session["amr"] = [method]
    # Changing the password elsewhere ends this session (see signed_in_account).
    session["password_stamp"] = _password_stamp(account)


def sign_out() -> None:
    lang = session.get("lang")
    session.clear()
    _forget_csrf_token()
    if lang:
        session["lang"] = lang


def _forget_csrf_token() -> None:
    """The CSRF secret went with the session: drop Flask-WTF's copy of the signed token too,
    so the next form gets a fresh one (the token is rotated at sign-in, never carried over)."""
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def signed_in_account() -> Account | None:
    """The active account of this browser's session, or None."""
    account_id = session.get("account_id")
    if account_id is None:
        return None
    account = db.session.get(Account, account_id)
    if (
        account is None
        or account.status != AccountStatus.ACTIVE
        or session.get("password_stamp") != _password_stamp(account)
    ):
        sign_out()
        return None
    return account


def auth_time() -> int | None:
    return session.get("auth_time")


def remember_next(url: str) -> None:
    """Keep where the member must land once signed in (a relative URL of this provider only)."""
    if is_local_url(url):
        session["next"] = url


def pop_next(default: str) -> str:
    url = session.pop("next", None)
    return url if url and is_local_url(url) else default


def peek_next() -> str | None:
    return session.get("next")


def is_local_url(url: str) -> bool:
    parts = urlsplit(url)
    return (
        not parts.scheme
        and not parts.netloc
        and url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
    )


def _password_stamp(account: Account) -> str:
    changed = account.password_changed_at
    return changed.isoformat() if changed else ""


def session_lifetime() -> int:
    return current_app.config["IDP_SESSION_LIFETIME"]
