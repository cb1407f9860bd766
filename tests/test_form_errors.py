"""What a member meets after a failed submit, on every form: the title says "Erreur : ", the
summary lists every problem at once (confirmations included) and links to each field, all
fields are said to be required, and the password rules are the page's and the server's alike."""

from __future__ import annotations

import re

import pytest

from idp_extension.security.passwords import unmet_rules

from .account.helpers import PASSWORD, login, make_account, post_form
from .conftest import csrf_token, page_text
from .enrollment.conftest import submit_sign_up
from .enrollment.test_journey import activation_path, set_password, sign_up_and_receive


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def summary_links(html: str) -> list[str]:
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    return re.findall(r'href="#([^"]+)"', summary)


def test_a_failed_sign_up_says_erreur_in_the_title_and_links_every_field(client, members):
    response = submit_sign_up(
        client,
        email="pas-une-adresse",
        email_confirm="autre-chose",
        phone="12",
        phone_confirm="13",
        birth_day="31",
        birth_month="02",
    )
    html = page_text(response)
    assert title(html).startswith("Erreur : Créer mon espace client")
    # The two confirmations are reported now, with the malformed entries, not on a 2nd submit.
    assert summary_links(html) == ["birth_day", "email", "email_confirm", "phone", "phone_confirm"]
    assert "Les deux adresses email ne sont pas identiques." in html
    assert "Les deux numéros de téléphone ne sont pas identiques." in html
    for ident in summary_links(html):
        assert f'id="{ident}"' in html


def test_a_page_without_errors_has_a_plain_title(client):
    assert not title(page_text(client.get("/inscription"))).startswith("Erreur")
    assert "Tous les champs sont obligatoires." in page_text(client.get("/inscription"))


def test_login_failure_title_starts_with_erreur(client, app, clock):
    make_account(app, clock)
    response = login(client, "helene@example.org", "Wrong#Pass1")
    assert title(page_text(response)).startswith("Erreur : ")


def test_first_password_reports_policy_and_mismatch_together(client, members, smtp):
    path = activation_path(sign_up_and_receive(client, smtp))
    page = page_text(client.get(path))
    assert "Tous les champs sont obligatoires." in page
    response = set_password(client, path, password="faible", confirm="autre")
    html = page_text(response)
    assert response.status_code == 422
    assert title(html).startswith("Erreur : ")
    assert summary_links(html) == ["password", "password_confirm"]
    assert "au moins une lettre majuscule" in html
    assert "Les mots de passe ne sont pas identiques" in html


def test_change_password_reports_policy_and_mismatch_together(client, app, clock):
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    response = post_form(
        client,
        "/mot-de-passe",
        {"current": PASSWORD, "password": "faible", "confirm": "autre"},
        page_path="/",
    )
    html = page_text(response)
    assert title(html).startswith("Erreur : ")
    assert summary_links(html) == ["password", "confirm"]


def test_the_checklist_is_tied_to_the_password_fields(client, members, smtp):
    path = activation_path(sign_up_and_receive(client, smtp))
    html = page_text(client.get(path))
    password = re.search(r'<input[^>]*id="password"[^>]*>', html).group(0)
    confirm = re.search(r'<input[^>]*id="password_confirm"[^>]*>', html).group(0)
    assert "password-rules" in re.search(r'aria-describedby="([^"]+)"', password).group(1)
    assert "password-match" in re.search(r'aria-describedby="([^"]+)"', confirm).group(1)
    assert 'id="password-rules"' in html and 'id="password-match"' in html
    # The show-password buttons are there for the script to reveal, and name their field.
    assert html.count('class="button-link js-password-toggle" aria-controls="password') == 2


@pytest.mark.parametrize(
    ("password", "unmet"),
    [
        ("ÉLÉPHANT#2026", {"lower"}),  # accented capitals count as upper-case letters
        ("éléphant#2026", {"upper"}),
        ("Éléphant#2026", set()),
        ("ÀÇÉÈ#çàéè1", set()),
    ],
)
def test_accented_letters_count_by_their_case_on_the_server(password, unmet):
    assert {rule.code for rule in unmet_rules(password)} == unmet


def test_the_page_script_uses_the_same_letter_rule():
    from pathlib import Path

    script = (
        Path(__file__).resolve().parents[1] / "idp_extension/static/js/password-checklist.js"
    ).read_text()
    assert r"/\p{Lu}/u" in script and r"/\p{Ll}/u" in script and "Array.from(p).length" in script


def test_correcting_the_email_brings_the_form_back_filled(client, members, smtp):
    sign_up_and_receive(client, smtp, email="helene@exemple.fr", email_confirm="helene@exemple.fr")
    sent = page_text(client.get("/inscription/email-envoye"))
    link = re.search(r'href="([^"]+)">Corriger mon adresse email', sent).group(1)
    html = page_text(client.get(link))
    for name, value in [
        ("first_name", "Hélène"),
        ("last_name", "Lefèvre-Dupont"),  # as the register spells it
        ("birth_day", "17"),
        ("birth_month", "05"),
        ("birth_year", "1980"),
        ("member_number", "12345678"),
        ("email", "helene@exemple.fr"),
        ("phone", "06 12 34 56 78"),
    ]:
        tag = re.search(rf'<input[^>]*\bid="{name}"[^>]*>', html).group(0)
        assert f'value="{value}"' in tag, (name, tag)
    # Correcting the address replaces the pending sign-up.
    assert csrf_token(html)
    fixed = submit_sign_up(client, email="helene@example.org", email_confirm="helene@example.org")
    assert fixed.status_code == 302


def test_another_browser_gets_an_empty_form_from_the_correction_link(app, client, members, smtp):
    sign_up_and_receive(client, smtp)
    html = page_text(app.test_client().get("/inscription?corriger=1"))
    assert 'value="Hélène"' not in html and 'value="12345678"' not in html
