"""The sign-up form in Chromium: wrong data explained field by field, and keyboard-only use."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from .harness import activation_link, add_member, fill_birth_date, wait_for_mail

MEMBER = {
    "member_number": "12345678",
    "first_name": "Hélène",
    "last_name": "Lefèvre-Dupont",
    "birth_date": date(1980, 5, 17),
}
TERMS_LABEL = "Je certifie avoir pris connaissance des mentions légales"


@pytest.fixture
def member(provider):
    add_member(provider, **MEMBER)
    return MEMBER


def test_every_wrong_field_is_explained_next_to_it(page, provider, member):
    page.goto(f"{provider.url}/inscription")
    expect(page.get_by_role("heading", name="Créer mon espace client")).to_be_visible()
    page.step("signup-empty")

    page.get_by_label("Votre prénom").fill("")
    page.get_by_label("Votre nom").fill("L" * 101)
    page.get_by_label("Jour").fill("31")
    page.get_by_label("Mois").fill("02")
    page.get_by_label("Année").fill("1980")
    page.get_by_label("Votre numéro d'adhérent").fill("1234")
    page.get_by_label("Votre adresse email").fill("pas-une-adresse")
    page.get_by_label("Confirmer adresse email").fill("")
    page.get_by_label("Votre téléphone portable").fill("12")
    page.get_by_label("Confirmer votre numéro").fill("")
    page.get_by_role("button", name="Valider").click()

    expected = {
        "Votre prénom": "Saisissez votre prénom.",
        "Votre nom": "Votre nom doit faire au plus 100 caractères.",
        "Votre numéro d'adhérent": "Votre numéro d'adhérent est composé de 8 chiffres.",
        "Votre adresse email": "Saisissez une adresse email valide",
        "Confirmer adresse email": "Saisissez à nouveau votre adresse email.",
        "Votre téléphone portable": "Saisissez un numéro de téléphone portable valide",
        "Confirmer votre numéro": "Saisissez à nouveau votre numéro de téléphone portable.",
        TERMS_LABEL: "Vous devez accepter les mentions légales et les conditions générales.",
    }
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Merci de corriger les erreurs suivantes")
    for label, message in expected.items():
        field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        # The message sits in the field's own group, and the field points at it.
        group = field.locator("xpath=ancestor::div[contains(@class, 'form-group')][1]")
        expect(group).to_contain_text(message)
        described = (field.get_attribute("aria-describedby") or "").split()
        described_text = " ".join(page.locator(f"#{ident}").inner_text() for ident in described)
        assert message in described_text, f"{label}: {message!r} not in {described_text!r}"
        # The error summary links to the field itself.
        field_id = field.get_attribute("id")
        expect(summary.locator(f'a[href="#{field_id}"]')).to_contain_text(message)

    # The birth date's message sits in its fieldset, which points at it; the day is marked.
    date_group = page.get_by_role("group", name="Votre date de naissance")
    expect(date_group).to_contain_text("Saisissez une date de naissance réelle")
    expect(page.get_by_label("Jour")).to_have_attribute("aria-invalid", "true")
    described = (date_group.get_attribute("aria-describedby") or "").split()
    assert "birth_date-error" in described
    expect(summary.locator('a[href="#birth_day"]')).to_contain_text("date de naissance réelle")

    # Nothing typed is lost on the re-display.
    expect(page.get_by_label("Votre nom")).to_have_value("L" * 101)
    expect(page.get_by_label("Jour")).to_have_value("31")
    expect(page.get_by_label("Mois")).to_have_value("02")
    expect(page.get_by_label("Année")).to_have_value("1980")
    expect(page.get_by_label("Votre numéro d'adhérent")).to_have_value("1234")
    expect(page.get_by_label("Votre adresse email")).to_have_value("pas-une-adresse")
    expect(page.get_by_label("Votre téléphone portable")).to_have_value("12")
    page.step("signup-every-field-wrong")

    # A summary link moves the focus to its field.
    summary.get_by_role("link", name="Votre numéro d'adhérent est composé de 8 chiffres.").click()
    expect(page.get_by_label("Votre numéro d'adhérent")).to_be_focused()


def test_registry_mismatch_does_not_say_which_datum_was_wrong(page, provider, member):
    page.goto(f"{provider.url}/inscription")
    _fill_sign_up(page, {**member, "birth_date": date(1980, 5, 18)}, "helene@exemple.fr")
    page.get_by_role("button", name="Valider").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("ne correspondent pas à celles de votre carte de tiers payant")
    assert page.locator("[aria-invalid=true]").count() == 0
    expect(page.get_by_label("Votre prénom")).to_have_value(member["first_name"])
    page.step("signup-registry-mismatch")


def test_sign_up_with_the_keyboard_only(page, provider, member, smtp):
    page.goto(f"{provider.url}/inscription")
    keyboard = page.keyboard

    # The skip link comes first and lands on the content.
    keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    keyboard.press("Enter")
    _tab_to(page, page.get_by_label("Votre prénom"))

    keyboard.type(member["first_name"])
    _next_field(page, "Votre nom")
    keyboard.type(member["last_name"])
    # Three text fields, one Tab stop each, whatever the browser's language.
    _next_field(page, "Jour")
    keyboard.type(f"{member['birth_date'].day:02d}")
    _next_field(page, "Mois")
    keyboard.type(f"{member['birth_date'].month:02d}")
    _next_field(page, "Année")
    keyboard.type(str(member["birth_date"].year))
    _next_field(page, "Votre numéro d'adhérent")
    keyboard.type(member["member_number"])
    _next_field(page, "Votre adresse email")
    keyboard.type("helene@exemple.fr")
    _next_field(page, "Confirmer adresse email")
    keyboard.type("helene@exemple.fr")
    _tab_to(page, page.get_by_label("Votre téléphone portable"))
    keyboard.type("06 12 34 56 78")
    _next_field(page, "Confirmer votre numéro")
    keyboard.type("06 12 34 56 78")
    _next_field(page, TERMS_LABEL)
    keyboard.press("Space")
    expect(page.get_by_label(TERMS_LABEL)).to_be_checked()
    page.step("signup-keyboard-filled")
    _tab_to(page, page.get_by_role("button", name="Valider"))
    keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Consultez votre messagerie")).to_be_visible()
    expect(page.get_by_text("pensez à vérifier vos spams", exact=False)).to_be_visible()
    wait_for_mail(smtp, "helene@exemple.fr", provider=provider)
    page.step("signup-keyboard-email-sent")


def _fill_sign_up(page, member: dict, email: str, phone: str = "06 12 34 56 78") -> None:
    page.get_by_label("Votre prénom").fill(member["first_name"])
    page.get_by_label("Votre nom").fill(member["last_name"])
    fill_birth_date(page, member["birth_date"])
    page.get_by_label("Votre numéro d'adhérent").fill(member["member_number"])
    page.get_by_label("Votre adresse email").fill(email)
    page.get_by_label("Confirmer adresse email").fill(email)
    page.get_by_label("Votre téléphone portable").fill(phone)
    page.get_by_label("Confirmer votre numéro").fill(phone)
    page.get_by_label(TERMS_LABEL).check()


def _next_field(page, label: str) -> None:
    """One Tab press moves to the field labelled ``label`` (the form's reading order)."""
    page.keyboard.press("Tab")
    expect(page.get_by_label(label)).to_be_focused()


def _tab_to(page, target, limit: int = 12) -> None:
    """Press Tab until ``target`` has the focus; it must be reachable within ``limit`` presses."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def test_after_a_failed_submit_the_summary_has_the_focus_and_leads_to_each_field(
    page, provider, member
):
    page.goto(f"{provider.url}/inscription")
    assert not page.title().startswith("Erreur")
    page.get_by_role("button", name="Valider").click()
    expect(page.page).to_have_title(re.compile(r"^Erreur : Créer mon espace client"))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    page.step("signup-failed-summary-focused")
    # A link focuses its field and keeps the field's label (or group legend) in sight.
    summary.locator('a[href="#phone"]').click()
    expect(page.get_by_label("Votre téléphone portable")).to_be_focused()
    expect(page.locator('label[for="phone"]')).to_be_in_viewport()
    summary.locator('a[href="#birth_day"]').click()
    expect(page.get_by_label("Jour")).to_be_focused()
    expect(page.locator("fieldset.date-fieldset legend")).to_be_in_viewport()


def test_password_page_shows_the_password_on_demand_and_counts_accented_capitals(
    page, provider, member, smtp
):
    page.goto(f"{provider.url}/inscription")
    _fill_sign_up(page, member, "helene@exemple.fr")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Consultez votre messagerie")).to_be_visible()
    page.goto(activation_link(wait_for_mail(smtp, "helene@exemple.fr", provider=provider)))
    expect(page.get_by_text("Tous les champs sont obligatoires.")).to_be_visible()
    password = page.get_by_label("Mot de passe", exact=True)
    upper = page.locator("ul.checklist li", has_text="Au moins une lettre majuscule")
    lower = page.locator("ul.checklist li", has_text="Au moins une lettre minuscule")
    password.press_sequentially("é")
    expect(lower).to_have_class(re.compile(r"\bmet\b"))
    expect(upper).not_to_have_class(re.compile(r"\bmet\b"))
    password.press_sequentially("É")
    expect(upper).to_have_class(re.compile(r"\bmet\b"))

    toggle = page.get_by_role("button", name="Afficher le mot de passe").first
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(password).to_have_attribute("type", "text")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.step("password-shown")
    toggle.click()
    expect(password).to_have_attribute("type", "password")
