"""English is available (DESIGN 3): a complete catalogue, chosen by ?lang=en or the browser,
kept for the session, and used for the mail of a member who signed up in English."""

from __future__ import annotations

import html as html_module
import io
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo

from idp_extension.db import db
from idp_extension.models import Account
from idp_extension.oidc.clients import create_client

from .account.helpers import make_account
from .catalogues import TRANSLATIONS, read_catalogue
from .conftest import csrf_token, deliver_mail, page_text
from .enrollment.conftest import SIGN_UP, submit_sign_up
from .mailparse import html_part, link_labelled, text_part

ROOT = Path(__file__).resolve().parent.parent
ENGLISH_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
# The keywords scripts/translations.sh gives pybabel extract, besides Babel's defaults.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}


def english():
    return read_catalogue(ENGLISH_PO)


def source_texts() -> set[str]:
    """Every French text the sources mark for translation, found as scripts/translations.sh
    finds them (babel.cfg)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def visible_text(response) -> str:
    """What a reader sees: tags, scripts and styles dropped, entities decoded, spaces folded."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html_module.unescape(body).split())


def french_left_in(text: str) -> list[str]:
    """Catalogue texts that read differently in English yet appear in French in ``text``."""
    left = []
    for message in english():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid, msgstr in zip(ids, strings, strict=False):
            french = msgid.split("%(")[0].strip()  # the words before any placeholder
            if len(french) >= 12 and msgid != msgstr and french in text:
                left.append(msgid)
    return left


# -- the catalogue -------------------------------------------------------------------------


def test_every_english_entry_is_translated_and_none_is_fuzzy():
    catalogue = english()
    missing = [
        message.id
        for message in catalogue
        if message.id
        and (
            message.fuzzy
            or not all(message.string if isinstance(message.string, tuple) else [message.string])
        )
    ]
    assert not missing, "untranslated or fuzzy in messages.po:\n" + "\n".join(map(repr, missing))
    assert len(catalogue) > 250


def test_every_french_text_of_the_sources_is_in_the_catalogue():
    catalogue = english()
    absent = sorted(text for text in source_texts() if text not in catalogue)
    assert not absent, (
        "new French texts: run scripts/translations.sh and translate them:\n"
        + "\n".join(map(repr, absent))
    )


def test_catalogue_compiles_with_its_placeholders_intact():
    catalogue = english()
    problems = [f"{message.id!r}: {errors}" for message, errors in catalogue.check()]
    assert not problems, "\n".join(problems)
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)[sd]", ids[0]))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)[sd]", string)) == wanted, message.id

    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    assert read_mo(compiled).get("Se connecter").string == "Sign in"


def test_the_catalogue_the_app_reads_is_the_current_one():
    mo = ENGLISH_PO.with_suffix(".mo")
    assert mo.exists(), "messages.mo is missing: scripts/setup.sh compiles it"
    assert mo.stat().st_mtime >= ENGLISH_PO.stat().st_mtime


# -- choosing the language -------------------------------------------------------------------


def test_sign_up_page_speaks_french_by_default(client):
    page = client.get(SIGN_UP)
    body = page.get_data(as_text=True)
    assert '<html lang="fr">' in body
    assert re.search(r'<label class="label" for="first_name">\s*Votre prénom', body)
    assert "Your first name" not in body


def test_lang_parameter_switches_to_english_and_the_choice_sticks(client):
    page = client.get(SIGN_UP + "?lang=en")
    body = page_text(page)
    assert '<html lang="en">' in body
    assert re.search(r'<label class="label" for="first_name">\s*Your first name', body)
    for label in [
        "Your last name",
        "Your date of birth",
        "Your member number",
        "Your email address",
        "Confirm email address",
        "Your mobile phone",
        "Confirm your number",
        "Submit",
    ]:
        assert label in body
    assert "Votre prénom" not in body

    later = client.get(SIGN_UP)  # no parameter: the session remembers
    assert '<html lang="en">' in later.get_data(as_text=True)
    assert "Your first name" in page_text(later)

    back = client.get(SIGN_UP + "?lang=fr")
    assert '<html lang="fr">' in back.get_data(as_text=True)
    assert "Votre prénom" in page_text(back)


@pytest.mark.parametrize("header", ["en", "en-GB,en;q=0.9,fr;q=0.5", "de-DE,de;q=0.9,en;q=0.8"])
def test_browser_preference_for_english(client, header):
    page = client.get(SIGN_UP, headers={"Accept-Language": header})
    assert '<html lang="en">' in page.get_data(as_text=True)
    assert "Your first name" in page_text(page)


def test_an_unknown_language_falls_back_to_french(client):
    page = client.get(SIGN_UP + "?lang=xx", headers={"Accept-Language": "de"})
    assert '<html lang="fr">' in page.get_data(as_text=True)
    assert "Votre prénom" in page_text(page)


def test_lang_parameter_wins_over_the_browser(client):
    page = client.get(SIGN_UP + "?lang=fr", headers={"Accept-Language": "en"})
    assert "Votre prénom" in page_text(page)


# -- pages in English ----------------------------------------------------------------------


def test_login_page_in_english(client):
    page = client.get("/connexion?lang=en")
    body = page_text(page)
    assert page.status_code == 200
    assert '<html lang="en">' in body
    assert re.search(r'<label class="label" for="email">\s*Email address', body)
    assert re.search(r'<label class="label" for="password">\s*Password', body)
    for text in ["Sign in", "Forgot your password?", "Create my member account"]:
        assert text in body
    assert not french_left_in(visible_text(page))


@pytest.mark.parametrize(
    "path",
    [
        "/inscription",
        "/connexion",
        "/mot-de-passe-oublie",
        "/activation/renvoyer",
        "/page-qui-n-existe-pas",
    ],
)
def test_no_french_text_left_on_english_pages(client, path):
    page = client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code in (200, 404)
    text = visible_text(page)
    assert not french_left_in(text), french_left_in(text)


def test_error_page_in_english(client):
    page = client.get("/page-qui-n-existe-pas?lang=en")
    assert page.status_code == 404
    assert "This page does not exist or no longer exists." in page_text(page)


def test_missing_csrf_token_is_explained_in_english(client):
    client.get(SIGN_UP + "?lang=en")
    refused = client.post(SIGN_UP, data={"first_name": "Hélène"})
    assert refused.status_code == 400
    assert "Your session has expired or the form is no longer valid." in page_text(refused)


def test_sign_up_errors_in_english(client, members):
    client.get(SIGN_UP + "?lang=en")
    response = submit_sign_up(client, first_name="", email_confirm="other@example.org")
    body = page_text(response)
    assert response.status_code in (400, 422)
    assert "Please correct the following errors" in body
    assert "Enter your first name." in body
    assert "The two email addresses do not match." in body
    assert not french_left_in(visible_text(response))


# -- the member's mail ---------------------------------------------------------------------


def test_member_who_signs_up_in_english_gets_the_activation_mail_in_english(
    app, client, members, smtp
):
    client.get(SIGN_UP + "?lang=en")
    response = submit_sign_up(client)
    assert response.status_code == 302
    response.close()  # the mail leaves once the response is done
    received = smtp.messages_to("helene@example.org")
    assert received, "the activation mail did not arrive"
    message = received[-1]

    assert message["Subject"] == "Activate your member account"
    text = text_part(message)
    assert "Hello Hélène," in text
    assert "This link is valid for 24 hours and can only be used once." in text
    assert "To activate your account and set your password, open this link:" in text
    assert "Votre" not in text and "valable" not in text
    body = html_part(message)
    assert '<html lang="en">' in body
    assert "valable" not in body
    link = link_labelled(message, "Activate my account")

    # The link opens the password page in English too, rules included.
    page = client.get(link.removeprefix("http://localhost"))
    page_body = page_text(page)
    assert page.status_code == 200
    assert "Set my password" in page_body
    for rule in [
        "At least 8 characters",
        "At least one lower-case letter (abc...)",
        "At least one allowed special character (! @ # * $ % &)",
        "Both passwords match",
    ]:
        assert rule in page_body
    assert not french_left_in(visible_text(page))

    weak = client.post(
        link.removeprefix("http://localhost"),
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "password": "short",
            "password_confirm": "short",
        },
    )
    assert weak.status_code in (400, 422)
    assert "The password does not meet" in page_text(weak)


def test_member_who_signs_up_in_french_gets_the_mail_in_french(app, client, members, smtp):
    response = submit_sign_up(
        client,
        email="zoe@example.org",
        email_confirm="zoe@example.org",
        first_name="Zoé",
        last_name="Coeur",
        birth_date="1992-02-29",
        member_number="87654321",
    )
    assert response.status_code == 302
    response.close()
    message = smtp.messages_to("zoe@example.org")[-1]
    assert message["Subject"] == "Activez votre espace client"
    assert "Ce lien est valable 24 heures" in text_part(message)


def test_reset_mail_follows_the_language_of_the_account_not_of_the_page(app, clock, smtp):
    account_id = make_account(app, clock, email="jane@example.org", first_name="Jane")
    with app.app_context():
        db.session.get(Account, account_id).locale = "en"
        db.session.commit()
    browser = app.test_client()
    page = browser.get("/mot-de-passe-oublie")  # the page in French
    assert "Mot de passe oublié" in page_text(page)
    response = browser.post(
        "/mot-de-passe-oublie",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": "jane@example.org"},
    )
    assert response.status_code == 200
    response.close()
    deliver_mail(app)  # the worker acts on the request, outside the page's language
    message = smtp.messages_to("jane@example.org")[-1]
    assert message["Subject"] == "Resetting your password"
    assert "You asked to reset the password of your member account." in text_part(message)
    assert link_labelled(message, "Reset my password").startswith("http://localhost/")


@pytest.mark.parametrize("ui_locales", ["en", "de en-GB", "en-US fr"])
def test_relying_party_asks_for_english_with_ui_locales(app, client, ui_locales):
    with app.app_context():
        relying_party, _secret = create_client("Portail", ["http://127.0.0.1:9/callback"])
        client_id = relying_party.client_id
    response = client.get(
        "/authorize?"
        + urlencode(
            {
                "client_id": client_id,
                "redirect_uri": "http://127.0.0.1:9/callback",
                "response_type": "code",
                "scope": "openid",
                "state": "s",
                "nonce": "n",
                "ui_locales": ui_locales,
            }
        )
    )
    assert response.status_code == 302
    login_page = client.get(response.headers["Location"])  # the redirect carries no language
    assert '<html lang="en">' in login_page.get_data(as_text=True)
    assert "Create my member account" in page_text(login_page)


def test_relying_party_asking_for_an_unsupported_language_gets_french(app, client):
    with app.app_context():
        relying_party, _secret = create_client("Portail", ["http://127.0.0.1:9/callback"])
        client_id = relying_party.client_id
    response = client.get(
        "/authorize?"
        + urlencode(
            {
                "client_id": client_id,
                "redirect_uri": "http://127.0.0.1:9/callback",
                "response_type": "code",
                "scope": "openid",
                "state": "s",
                "nonce": "n",
                "ui_locales": "de",
            }
        )
    )
    login_page = client.get(response.headers["Location"])
    assert "Créer mon espace client" in page_text(login_page)


def test_language_link_keeps_the_page_parameters(client):
    """Switching language on a page reached with parameters (a pending authorization) keeps
    them: only the language changes."""
    import html
    import re

    page = client.get("/connexion?login_hint=a%40b.fr&next=%2Fauthorize%3Fclient_id%3Dx&lang=fr")
    links = re.findall(r'<a href="([^"]+)" lang="en"', page.get_data(as_text=True))
    assert len(links) == 1
    assert html.unescape(links[0]) == (
        "/connexion?login_hint=a%40b.fr&next=%2Fauthorize%3Fclient_id%3Dx&lang=en"
    )
