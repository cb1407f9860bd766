"""Accounts made directly in the database, and a member using the login page."""

from __future__ import annotations

from idp_extension.db import db
from idp_extension.models import Account, AccountStatus

from ..conftest import csrf_token
from ..factories import PASSWORD, create_account
from ..second_factor import account_id_of, app_code, give_authenticator


def make_account(
    app,
    clock,
    email="helene@example.org",
    password=PASSWORD,
    status=AccountStatus.ACTIVE,
    is_admin=False,
    first_name="Hélène",
    last_name="Lefèvre-Dupont",
) -> int:
    """Create an account as sign-up and activation would leave it; returns its id.

    An admin gets an authenticator app (tests/second_factor.py): the console wants one.
    """
    account_id = create_account(
        app,
        now=clock.now(),
        email=email,
        password=password,
        status=status,
        is_admin=is_admin,
        first_name=first_name,
        last_name=last_name,
    ).id
    if is_admin:
        give_authenticator(app, account_id)
    return account_id


def get_account(app, account_id) -> Account:
    with app.app_context():
        account = db.session.get(Account, account_id)
        db.session.expunge(account)
        return account


def finished(response):
    """Read the whole response and close it, as a browser does: what the app runs once the
    response is out (the mail sent right after the request) happens now."""
    response.get_data()
    response.close()
    return response


def login(client, email, password, path="/connexion", second_factor=True):
    """Open the login page and submit it, as a browser does (CSRF token included).

    When the password leads to the second step and the account has an authenticator app,
    its code is typed too (``second_factor=False`` stops at the second step)."""
    page = client.get(path)
    response = finished(
        client.post(
            path,
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "email": email,
                "password": password,
            },
        )
    )
    if second_factor and response.headers.get("Location") == "/connexion/verification":
        return give_app_code(client, account_id_of(client.application, email))
    return response


def give_app_code(client, account_id):
    """On the second step (sign-in or step-up): type the app's code."""
    page = client.get("/connexion/verification?methode=otp")
    return finished(
        client.post(
            "/connexion/verification?methode=otp",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "code": app_code(client.application, account_id),
            },
        )
    )


def post_form(client, path, data, page_path=None):
    """Submit the form found at ``page_path`` (default: ``path``) with its CSRF token."""
    page = client.get(page_path or path)
    return finished(
        client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})
    )
