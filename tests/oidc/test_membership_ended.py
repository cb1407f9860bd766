"""A terminated member loses access (hardening issue, item 6): the import that terminates them
suspends the account, ends its sessions and revokes its tokens; sign-in is refused with a
message pointing to the insurer. With a pluggable registry, the status is checked at sign-in and
at refresh, its answer kept IDP_REGISTRY_CACHE_SECONDS."""

from __future__ import annotations

import html
from datetime import date

from idp_extension.db import db
from idp_extension.enrollment.importing import import_members
from idp_extension.models import Account, AccountStatus, MemberRecord, MemberStatus, SsoSession

from ..conftest import both_databases
from .conftest import PASSWORD
from .test_account_state import refresh, userinfo

HEADER = "member_number,last_name,first_name,birth_date,status\n"
SUSPENDED = "Votre espace client est suspendu."
WRONG = "Adresse email ou mot de passe incorrect."


def import_file(app, text: str, **options):
    with app.app_context():
        return import_members(text.encode(), **options)


def add_member(app, number="12345678", status=MemberStatus.ACTIVE):
    with app.app_context():
        db.session.add(
            MemberRecord(
                member_number=number,
                last_name="Lefèvre-Dupont",
                first_name="Hélène",
                birth_date=date(1980, 5, 17),
                status=status,
            )
        )
        db.session.commit()


def account_state(app, account_id) -> tuple[AccountStatus, int]:
    with app.app_context():
        live = db.session.scalar(
            db.select(db.func.count())
            .select_from(SsoSession)
            .where(SsoSession.account_id == account_id, SsoSession.ended_at.is_(None))
        )
        return db.session.get(Account, account_id).status, live


def login_page_text(browser, password=PASSWORD) -> str:
    return html.unescape(browser.login(password=password).text)


@both_databases
def test_a_member_terminated_by_the_import_loses_access(
    app, member, browser, relying_party, tokens
):
    add_member(app)
    add_member(app, "99999999")  # the rest of the register
    assert userinfo(relying_party, tokens["access_token"]).json()["member_number"] == "12345678"
    assert account_state(app, member["id"]) == (AccountStatus.ACTIVE, 1)

    report = import_file(app, HEADER + "12345678,Lefèvre-Dupont,Hélène,1980-05-17,terminated\n")
    assert report.terminated == 1

    assert account_state(app, member["id"]) == (AccountStatus.SUSPENDED, 0)
    assert userinfo(relying_party, tokens["access_token"]).status_code == 401
    reply = refresh(relying_party, tokens["refresh_token"])
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"
    assert browser.get("/").status_code == 302  # the browser's session is over
    # The right password is told why, and where to turn; a wrong one learns nothing.
    page = login_page_text(browser)
    assert SUSPENDED in page and "contactez votre mutuelle" in page
    assert browser.login().status_code == 422
    wrong = login_page_text(browser, password="Wrong#Password1")
    assert WRONG in wrong and SUSPENDED not in wrong

    # Back in the register: the account returns, none of the old grants do.
    report = import_file(app, HEADER + "12345678,Lefèvre-Dupont,Hélène,1980-05-17,active\n")
    assert report.reinstated == 1
    assert account_state(app, member["id"])[0] == AccountStatus.ACTIVE
    assert refresh(relying_party, tokens["refresh_token"]).status_code == 400
    assert userinfo(relying_party, tokens["access_token"]).status_code == 401
    assert browser.login().status_code == 302


def test_terminate_missing_suspends_exactly_the_absent_members_accounts(
    app, member, browser, relying_party, tokens
):
    from .conftest import make_account

    other_id, _ = make_account(app, email="paul@example.fr", member_number="22222222")
    add_member(app)
    add_member(app, "22222222")
    for number in range(30000000, 30000040):
        add_member(app, str(number))
    rows = "".join(f"{n},Nom,Prénom,1980-01-02,active\n" for n in range(30000000, 30000040))
    report = import_file(
        app, HEADER + "22222222,Lefèvre-Dupont,Hélène,1980-05-17,\n" + rows, terminate_missing=True
    )
    assert (report.terminated, report.missing) == (1, 1)
    assert account_state(app, member["id"]) == (AccountStatus.SUSPENDED, 0)
    assert account_state(app, other_id)[0] == AccountStatus.ACTIVE
    assert userinfo(relying_party, tokens["access_token"]).status_code == 401
