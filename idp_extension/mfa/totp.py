"""Authenticator apps: TOTP (RFC 6238, 30-second steps, 6 digits, SHA-1 as every app reads it).

The secret is sealed at rest with the instance key (security/sealing.py). A code is accepted
one step early or late (phone clocks drift), and never twice: the step of the last accepted
code is kept, and neither it nor an earlier one is accepted again.
"""

from __future__ import annotations

import hmac
import io
from datetime import datetime

import pyotp
import segno
from flask import current_app
from sqlalchemy import or_, update

from ..models import Account, TotpAuthenticator
from ..security.sealing import seal, unseal

DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def sealed(secret: str) -> str:
    return seal(current_app.config["SECRET_KEY"], secret)


def secret_of(authenticator: TotpAuthenticator) -> str:
    return unseal(current_app.config["SECRET_KEY"], authenticator.secret_sealed)


def provisioning_uri(account: Account, secret: str, issuer: str) -> str:
    """The ``otpauth://`` URI an app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=issuer)


def qr_svg(uri: str) -> bytes:
    """The QR code of ``uri`` as a standalone SVG document (served by the app: no inline
    script). It must name the SVG namespace: a browser shows an ``<img>`` of an SVG without
    one as a broken image."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False)
    return out.getvalue()


def grouped(secret: str) -> str:
    """The key as a person types it: groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, typed: str, now: datetime, last_used_step: int | None) -> int | None:
    """The time step whose code ``typed`` is (within the drift, after the last used), or None."""
    typed = "".join(typed.split())
    if len(typed) != 6 or not typed.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        # Every candidate is compared (constant time, no early exit that times the match).
        if hmac.compare_digest(totp.generate_otp(step), typed) and found is None:
            found = step
    return found


def claim_step(authenticator: TotpAuthenticator, step: int):
    """The UPDATE that records ``step`` as used unless a parallel request used it first."""
    return (
        update(TotpAuthenticator)
        .where(
            TotpAuthenticator.id == authenticator.id,
            or_(
                TotpAuthenticator.last_used_step.is_(None),
                TotpAuthenticator.last_used_step < step,
            ),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
