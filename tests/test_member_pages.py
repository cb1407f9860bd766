"""The pages around the forms, as a member reads them: human error pages (404 says "Page
introuvable", 429 says how long to wait), the footer's links, the accessibility statement,
the insurer's contact where a member gets stuck, and the insurer's name in the mails."""

from __future__ import annotations

import re

import pytest

from .conftest import page_text
from .enrollment.conftest import submit_sign_up

INSURER = {
    "IDP_ORGANISATION_NAME": "Mutuelle des Tilleuls",
    "IDP_SUPPORT_URL": "https://tilleuls.example/aide",
    "IDP_SUPPORT_PHONE": "01 23 45 67 89",
}


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def heading(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()


def test_a_missing_page_says_page_introuvable_in_french_and_english(client):
    response = client.get("/nulle-part")
    html = page_text(response)
    assert response.status_code == 404
    assert heading(html) == "Page introuvable"
    assert title(html).startswith("Page introuvable")
    assert '<html lang="fr">' in html
    english = page_text(client.get("/nulle-part?lang=en"))
    assert heading(english) == "Page not found" and '<html lang="en">' in english


@pytest.mark.parametrize(
    ("method", "path", "status", "words"),
    [
        ("get", "/mot-de-passe-oublie/x", 404, "Ce lien ne peut plus être utilisé"),
        ("put", "/connexion", 405, "Action impossible"),
        ("post", "/connexion", 400, "Demande incomprise"),  # no CSRF token
    ],
)
def test_every_error_is_a_page_with_a_heading_and_a_way_back(client, method, path, status, words):
    response = getattr(client, method)(path)
    html = page_text(response)
    assert response.status_code == status
    assert heading(html) == words
    main = re.search(r"<main.*?</main>", html, re.S).group(0)
    assert re.search(r'<a class="button[^"]*" href="/', main)  # a way on, not a dead end


@pytest.fixture
def app_config(app_config, request):
    return {**app_config, **getattr(request, "param", {})}


@pytest.mark.parametrize(
    "app_config",
    [{"IDP_RATELIMIT_ENABLED": True, "IDP_RATELIMIT_STORAGE_URL": "memory://"}],
    indirect=True,
)
def test_too_many_attempts_says_how_long_to_wait(app, client, members):
    limit = int(app.config["IDP_SIGNUP_LIMIT_PER_MEMBER"].split("/")[0])
    for _ in range(limit):
        submit_sign_up(client, birth_date="1980-01-01")
    response = submit_sign_up(client, birth_date="1980-01-01")
    html = page_text(response)
    assert response.status_code == 429
    assert heading(html) == "Trop de tentatives"
    minutes = int(re.search(r"réessayer dans (\d+) minutes?", html).group(1))
    assert 1 <= minutes <= 60
    assert 0 < int(response.headers["Retry-After"]) <= 3600


def test_every_page_has_the_footer_links(client):
    for path in ("/connexion", "/inscription", "/nulle-part", "/accessibilite", "/contact"):
        html = page_text(client.get(path))
        footer = re.search(r"<footer.*?</footer>", html, re.S).group(0)
        for words, href in [
            ("Contact", "/contact"),
            ("Accessibilité : partiellement conforme", "/accessibilite"),
            ("Mentions légales", None),
            ("Conditions générales", None),
        ]:
            assert words in footer, (path, words)
            if href:
                assert f'href="{href}"' in footer


def test_the_accessibility_statement_has_the_rgaa_shape(client):
    html = page_text(client.get("/accessibilite"))
    assert heading(html) == "Déclaration d'accessibilité"
    for section in (
        "État de conformité",
        "Résultats des tests",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Retour d'information et contact",
        "Voies de recours",
    ):
        assert f"<h2>{section}</h2>" in html
    assert "partiellement conforme" in html and "RGAA" in html
    assert "Défenseur des droits" in html and "formulaire.defenseurdesdroits.fr" in html


@pytest.mark.parametrize("app_config", [INSURER], indirect=True)
def test_the_insurers_name_and_contact_where_a_member_needs_them(app, client, members, smtp):
    mismatch = page_text(submit_sign_up(client, member_number="99999999"))
    help_box = re.search(r'<div class="help-box">.*?</div>', mismatch, re.S).group(0)
    assert "Besoin d'aide ?" in help_box
    assert 'href="tel:0123456789"' in help_box and "01 23 45 67 89" in help_box
    assert 'href="https://tilleuls.example/aide"' in help_box
    assert "Mutuelle des Tilleuls" in title(mismatch)
    footer = re.search(r"<footer.*?</footer>", mismatch, re.S).group(0)
    assert 'href="https://tilleuls.example/aide">Contact' in footer

    sent = submit_sign_up(app.test_client())
    assert sent.status_code == 302
    sent.close()  # as a WSGI server does: the mail leaves now
    (mail,) = smtp.messages_to("helene@example.org")
    for part in mail.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            assert "Mutuelle des Tilleuls" in part.get_payload(decode=True).decode()


def test_without_a_configured_contact_the_member_is_told_where_to_look(client, members):
    mismatch = page_text(submit_sign_up(client, member_number="99999999"))
    assert "Besoin d'aide ?" in mismatch
    assert "coordonnées qui figurent sur votre carte de tiers payant" in mismatch
    assert "Votre mutuelle santé" not in mismatch  # that one signs the mails


def test_the_reset_page_states_the_mails_lifetime(app, client):
    from .conftest import csrf_token

    page = client.get("/mot-de-passe-oublie")
    response = client.post(
        "/mot-de-passe-oublie",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": "x@example.org"},
    )
    minutes = app.config["IDP_RESET_TTL"] // 60
    assert f"Ce lien est valable {minutes} minutes" in page_text(response)


def test_a_protocol_error_is_told_in_french_with_the_technical_words_marked_english(client):
    response = client.get("/authorize?client_id=inconnu&response_type=code&scope=openid")
    html = page_text(response)
    assert 400 <= response.status_code < 500
    assert '<html lang="fr">' in html
    assert "n'est pas reconnu" in html
    assert re.search(r'<code lang="en">[^<]*</code>', html)
