"""The member's whole journey in Chromium, as issue 5 tells it: from the member portal to a new
Espace Client by mail and back signed in, then out again; and an activation link that expired."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from .harness import activation_link, add_member, demo_members, fill_birth_date, wait_for_mail
from .test_signup_form import TERMS_LABEL

# (the checklist item, the text typed so far that newly meets it)
PASSWORD_STEPS = [
    ("Au moins une lettre minuscule", "abc"),
    ("Au moins une lettre majuscule", "DEF"),
    ("Au moins un chiffre", "1"),
    ("Au moins 8 caractères", "23"),
    ("Au moins un caractère spécial autorisé", "!"),
]
PASSWORD = "".join(typed for _, typed in PASSWORD_STEPS)
MET = "(condition remplie)"
UNMET = "(condition non remplie)"


def fill_sign_up(page, member, email: str, phone: str = "06 12 34 56 78") -> None:
    """Type the card's data into the form, finding every field by its label."""
    page.get_by_label("Votre prénom").fill(member.first_name)
    page.get_by_label("Votre nom").fill(member.last_name)
    fill_birth_date(page, member.birth_date)
    page.get_by_label("Votre numéro d'adhérent").fill(member.member_number)
    page.get_by_label("Votre adresse email").fill(email)
    page.get_by_label("Confirmer adresse email").fill(email)
    expect(page.get_by_label("Indicatif pays")).to_have_value("FR")
    page.get_by_label("Votre téléphone portable").fill(phone)
    page.get_by_label("Confirmer votre numéro").fill(phone)
    page.get_by_label(TERMS_LABEL).check()


def rule(page, text: str):
    return page.locator("ul.checklist li", has_text=text)


def set_password_watching_the_checklist(page) -> None:
    """Type the password a few characters at a time; each rule ticks as soon as it is met."""
    expect(page.get_by_role("heading", name="Je définis mon mot de passe")).to_be_visible()
    for item, _ in PASSWORD_STEPS:
        expect(rule(page, item)).to_contain_text(UNMET)
    password = page.get_by_label("Mot de passe", exact=True)
    met: list[str] = []
    for item, typed in PASSWORD_STEPS:
        password.press_sequentially(typed)
        met.append(item)
        for done in met:
            expect(rule(page, done)).to_contain_text(MET)
            expect(rule(page, done)).to_have_class(re.compile(r"\bmet\b"))
        for pending, _ in PASSWORD_STEPS[len(met) :]:
            expect(rule(page, pending)).to_contain_text(UNMET)
    same = rule(page, "Les mots de passe sont identiques")
    expect(same).to_contain_text(UNMET)
    confirm = page.get_by_label("Confirmer le mot de passe")
    confirm.press_sequentially(PASSWORD[:-1])
    expect(same).to_contain_text(UNMET)
    confirm.press_sequentially(PASSWORD[-1])
    expect(same).to_contain_text(MET)


def test_sign_up_from_the_portal_then_sign_out(page, provider, portal, smtp):
    member = demo_members()[0]
    email = "adherent.demo@exemple.fr"

    page.goto(portal.url)
    expect(page.get_by_role("heading", name="Bienvenue sur votre portail adhérent")).to_be_visible()
    page.step("portal-home")

    with page.expect_request(lambda r: r.url.startswith(f"{provider.url}/authorize")) as sent:
        page.get_by_role("link", name="Se connecter").click()
    authorize = parse_qs(urlsplit(sent.value.url).query)
    assert authorize["code_challenge_method"] == ["S256"] and authorize["code_challenge"]
    assert authorize["state"] and authorize["nonce"]
    assert authorize["redirect_uri"] == [f"{portal.url}/callback"]
    expect(page.page).to_have_url(re.compile("^" + re.escape(provider.url)))
    expect(page.get_by_role("heading", name="Connexion à mon espace client")).to_be_visible()
    expect(page.get_by_label("Adresse email")).to_be_visible()
    page.step("provider-login")

    page.get_by_role("link", name="Créer mon espace client").click()
    expect(page.get_by_role("heading", name="Créer mon espace client")).to_be_visible()
    fill_sign_up(page, member, email)
    page.step("signup-filled")
    page.get_by_role("button", name="Valider").click()

    expect(page.get_by_role("heading", name="Consultez votre messagerie")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    expect(page.get_by_text("spams", exact=False)).to_be_visible()
    page.step("email-sent")

    mail = wait_for_mail(smtp, email, provider=provider)
    link = activation_link(mail)
    assert link.startswith(f"{provider.url}/")
    page.goto(link)
    set_password_watching_the_checklist(page)
    page.step("password-checklist-ticked")
    page.get_by_role("button", name="Valider").click()
    # The mobile number is verified next (tests/browser/test_second_factor.py): later.
    expect(page.get_by_label("Code reçu par SMS")).to_be_visible()
    page.get_by_role("button", name="Plus tard").click()

    # Back on the portal, signed in, with the claims the provider vouched for.
    expect(page.page).to_have_url(f"{portal.url}/mon-espace")
    expect(page.get_by_role("heading", name=f"Bonjour {member.first_name}")).to_be_visible()
    claims = shown_claims(page)
    assert claims["Prénom"] == member.first_name
    assert claims["Nom"].casefold() == member.last_name.casefold()
    assert claims["Date de naissance"] == member.birth_date.strftime("%d/%m/%Y")
    assert claims["Adresse email"] == email
    assert claims["Adresse email vérifiée"] == "Oui"
    assert claims["Téléphone portable"] == "+33612345678"
    assert claims["Numéro d'adhérent"] == member.member_number
    assert claims["Identifiant de connexion"] not in (member.member_number, "")
    page.step("portal-signed-in")

    with page.expect_request(lambda r: r.url.startswith(f"{provider.url}/logout")) as sent:
        page.get_by_role("button", name="Se déconnecter").click()
    end_session = parse_qs(urlsplit(sent.value.url).query)
    assert end_session["id_token_hint"] and end_session["state"]
    assert end_session["post_logout_redirect_uri"] == [f"{portal.url}/"]
    if page.url.startswith(provider.url):  # the provider may ask to confirm
        page.step("provider-logout-confirm")
        page.get_by_role("button", name="Se déconnecter").click()
    expect(page.page).to_have_url(re.compile("^" + re.escape(f"{portal.url}/")))
    expect(page.get_by_role("status")).to_have_text(re.compile("Votre session est fermée"))
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    page.step("portal-signed-out")

    # The provider's session ended too: signing in again asks for the password.
    page.get_by_role("link", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Connexion à mon espace client")).to_be_visible()
    expect(page.get_by_label("Mot de passe", exact=True)).to_be_visible()


def test_expired_link_then_a_new_one(page, provider, smtp, browser_clock):
    member = demo_member_in_register(provider)
    email = "helene.ld@exemple.fr"
    page.goto(f"{provider.url}/inscription")
    fill_sign_up(page, member, email)
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Consultez votre messagerie")).to_be_visible()
    first_link = activation_link(wait_for_mail(smtp, email, provider=provider))

    browser_clock.advance(hours=24, seconds=1)
    page.goto(first_link)
    expect(page.get_by_role("heading", name="Ce lien a expiré")).to_be_visible()
    page.step("activation-link-expired")
    page.get_by_role("button", name="Recevoir un nouveau lien").click()
    expect(page.get_by_role("heading", name="Consultez votre messagerie")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Un nouveau lien vient de vous être envoyé")
    page.step("new-link-sent")

    second_link = activation_link(wait_for_mail(smtp, email, count=2, provider=provider))
    assert second_link != first_link
    page.goto(first_link)  # the new link voided the old one
    expect(page.get_by_role("heading", name="Je définis mon mot de passe")).to_have_count(0)

    page.goto(second_link)
    set_password_watching_the_checklist(page)
    page.get_by_role("button", name="Valider").click()
    page.get_by_role("button", name="Plus tard").click()
    expect(page.get_by_role("heading", name=f"Bonjour {member.first_name}")).to_be_visible()
    page.step("activated-after-new-link")

    # Single use: the link that activated the account now says so.
    page.goto(second_link)
    expect(page.get_by_role("heading", name="Je définis mon mot de passe")).to_have_count(0)


def demo_member_in_register(provider):
    from .harness import DemoMember

    member = DemoMember("23456789", "Hélène", "Lefèvre-Dupont", date(1980, 5, 17))
    add_member(
        provider,
        member_number=member.member_number,
        first_name=member.first_name,
        last_name=member.last_name,
        birth_date=member.birth_date,
    )
    return member


def shown_claims(page) -> dict[str, str]:
    rows = page.locator("dl.claims .claim")
    return {
        rows.nth(i).locator("dt").inner_text().strip(): rows.nth(i)
        .locator("dd")
        .inner_text()
        .strip()
        for i in range(rows.count())
    }


def test_portal_sign_up_button_goes_straight_to_the_form(page, provider, portal):
    """prompt=create (OpenID Connect "Initiating User Registration")."""
    page.goto(portal.url)
    with page.expect_request(lambda r: r.url.startswith(f"{provider.url}/authorize")) as sent:
        page.get_by_role("link", name="Créer mon espace client").click()
    assert parse_qs(urlsplit(sent.value.url).query)["prompt"] == ["create"]
    expect(page.get_by_role("heading", name="Créer mon espace client")).to_be_visible()
    expect(page.get_by_label("Votre prénom")).to_be_visible()
