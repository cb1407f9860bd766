"""SSO sign-up (DESIGN section 3, issue 3 item 7; OpenID "Initiating User Registration"):
a relying party sends a new member to /authorize; they sign up, open the activation mail,
set a password, and land back at the relying party with a code. Real HTTP, real SMTP."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from idp_extension.db import db
from idp_extension.models import Account

from ..conftest import birth_date_fields, both_databases, csrf_token
from ..mailparse import link_labelled

NEW_PASSWORD = "Nouveau#Passe2026"


def sign_up_form(page_html: str) -> dict:
    return {
        "csrf_token": csrf_token(page_html),
        "first_name": "Zoé",
        "last_name": "COEUR",
        **birth_date_fields("1992-02-29"),
        "member_number": "87654321",
        "email": "zoe@example.org",
        "email_confirm": "zoe@example.org",
        "country": "FR",
        "phone": "06 98 76 54 32",
        "phone_confirm": "0698765432",
        "accept_terms": "y",
    }


def wait_for_mail(smtp, address):
    return smtp.wait_for(address)


def finish_sign_up(browser, smtp, sign_up_page):
    """Fill the sign-up form, follow the activation link, set the password, and postpone the
    phone verification that follows (tests/mfa covers it); the response to that."""
    sent = browser.post("/inscription", data=sign_up_form(sign_up_page.text))
    assert sent.status_code == 302, sent.text[:500]
    message = wait_for_mail(smtp, "zoe@example.org")
    link = link_labelled(message, "Activer mon compte")
    assert link.startswith(browser.base)
    password_page = browser.get(link)
    assert password_page.status_code == 200
    activated = browser.post(
        link,
        data={
            "csrf_token": csrf_token(password_page.text),
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert urlsplit(activated.headers["Location"]).path == "/telephone/verification"
    verification = browser.get(activated.headers["Location"])
    assert "Code reçu par SMS" in verification.text
    return browser.post(
        "/telephone/verification/plus-tard",
        data={"csrf_token": csrf_token(verification.text)},
    )


@both_databases
def test_sign_up_from_the_login_page_ends_at_the_relying_party(
    app, members, smtp, browser, relying_party
):
    flow = relying_party.start()
    to_login = browser.get(flow.url)
    assert urlsplit(to_login.headers["Location"]).path == "/connexion"
    login_page = browser.get(to_login.headers["Location"])
    found = re.search(
        r'<a[^>]+href="([^"]+)"[^>]*>\s*Créer mon espace client\s*</a>', login_page.text
    )
    assert found, "the login page offers sign-up"
    sign_up_page = browser.get(html.unescape(found.group(1)))
    assert sign_up_page.status_code == 200

    activated = finish_sign_up(browser, smtp, sign_up_page)
    flow.callback = browser.follow(activated, stop_at=relying_party.client.redirect_uri)
    assert flow.callback_params()["state"] == flow.state
    token = relying_party.exchange(flow)
    claims = relying_party.verify_id_token(token["id_token"], flow, token["access_token"])
    with app.app_context():
        account = db.session.scalars(db.select(Account).filter_by(member_number="87654321")).one()
        assert claims["sub"] == account.subject
    info = flow.session.get(relying_party.config["userinfo_endpoint"], timeout=10).json()
    assert info["member_number"] == "87654321" and info["email"] == "zoe@example.org"


def test_prompt_create_goes_to_sign_up_and_back_to_the_relying_party(
    members, smtp, browser, relying_party
):
    flow = relying_party.start(prompt="create")
    to_sign_up = browser.get(flow.url)
    assert urlsplit(to_sign_up.headers["Location"]).path == "/inscription"
    sign_up_page = browser.get(to_sign_up.headers["Location"])
    activated = finish_sign_up(browser, smtp, sign_up_page)
    flow.callback = browser.follow(activated, stop_at=relying_party.client.redirect_uri)
    token = relying_party.exchange(flow)
    relying_party.verify_id_token(token["id_token"], flow, token["access_token"])
