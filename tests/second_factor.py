"""Second factors for tests of other features: an admin must give one to reach the console.

``give_authenticator`` sets up an authenticator app as the member would have (confirmed);
``app_code`` is what that app shows now, by the provider's clock. A code is accepted once per
30-second step (one step early or late allowed), so at a frozen time an account can sign in
with the app three times; move the clock for more.
"""

from __future__ import annotations

import pyotp

from idp_extension.db import db
from idp_extension.models import Account, SecondFactorMethod, TotpAuthenticator
from idp_extension.security.sealing import seal

TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - a test fixture


def give_authenticator(app, account_id: int, secret: str = TEST_TOTP_SECRET) -> None:
    with app.app_context():
        now = app.extensions["idp"].clock.now()
        db.session.add(
            TotpAuthenticator(
                account_id=account_id,
                secret_sealed=seal(app.config["SECRET_KEY"], secret),
                created_at=now,
                confirmed_at=now,
            )
        )
        db.session.get(Account, account_id).second_factor = SecondFactorMethod.TOTP.value
        db.session.commit()


def app_code(app, account_id: int, secret: str = TEST_TOTP_SECRET) -> str:
    """The next code the provider will accept from the account's app (never one used)."""
    with app.app_context():
        now = app.extensions["idp"].clock.now()
        row = db.session.query(TotpAuthenticator).filter_by(account_id=account_id).one()
        last = row.last_used_step
        db.session.rollback()
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    step = current - 1 if last is None else max(current - 1, last + 1)
    assert step <= current + 1, "every code of this time window was used: advance the clock"
    return totp.generate_otp(step)


def account_id_of(app, email: str) -> int:
    with app.app_context():
        found = db.session.query(Account.id).filter_by(email=email).scalar()
        db.session.rollback()
        return found
