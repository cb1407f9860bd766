"""The account pages in Chromium: forgotten password through the mail, login failures, the
live checklist, and the admin console (screenshots at 1280/320 px, axe-core at each step)."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from ..second_factor import account_id_of, app_code, give_authenticator
from .harness import wait_for_mail

PASSWORD = "Bonjour#2026"
NEW_PASSWORD = "Nouveau&Mot2passe"


def make_account(provider, email, *, is_admin=False, number="12345678"):
    from idp_extension.db import db
    from idp_extension.models import Account, AccountStatus

    app = provider.app
    now = app.extensions["idp"].clock.now()
    with app.app_context():
        db.session.add(
            Account(
                member_number=number,
                email=email,
                phone="+33612345678",
                first_name="Hélène",
                last_name="Lefèvre-Dupont",
                birth_date=date(1980, 5, 17),
                status=AccountStatus.ACTIVE,
                is_admin=is_admin,
                email_verified=True,
                password_hash=app.extensions["idp"].passwords.hash(PASSWORD),
                created_at=now,
                activated_at=now,
                password_changed_at=now,
            )
        )
        db.session.commit()
        account_id = db.session.query(Account.id).filter_by(email=email).scalar()
    if is_admin:  # the console wants a second factor: an authenticator app
        give_authenticator(app, account_id)


def sign_in_with_app(page, provider, email):
    """Sign in, then type the authenticator app's code on the second step."""
    sign_in(page, email, PASSWORD)
    code = app_code(provider.app, account_id_of(provider.app, email))
    page.get_by_label("Code de votre application").fill(code)
    page.get_by_role("button", name="Valider").click()


@pytest.fixture
def member(provider):
    make_account(provider, "helene@exemple.fr")
    return "helene@exemple.fr"


def sign_in(page, email, password):
    page.get_by_label("Adresse email", exact=True).fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_wrong_password_then_forgotten_password_through_the_mail(page, provider, member, smtp):
    page.goto(f"{provider.url}/connexion")
    page.step("login")
    sign_in(page, member, "Mauvais#Passe1")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Adresse email ou mot de passe incorrect.")
    expect(page.get_by_label("Adresse email", exact=True)).to_have_value(member)
    expect(page.get_by_label("Mot de passe", exact=True)).to_have_value("")
    page.step("login-failed")

    alert.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("Adresse email", exact=True).fill(member)
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("status")).to_contain_text("Si un compte existe pour l'adresse")
    page.step("reset-requested")

    from ..mailparse import link_labelled

    link = link_labelled(
        wait_for_mail(smtp, member, provider=provider), "Réinitialiser mon mot de passe"
    )
    page.goto(link)
    expect(page.get_by_role("heading", name="Je choisis un nouveau mot de passe")).to_be_visible()
    rules = page.locator("#password-rules li")
    page.get_by_label("Mot de passe", exact=True).fill("abc")
    expect(rules.filter(has_text="Au moins une lettre minuscule")).to_have_class("met")
    expect(rules.filter(has_text="Au moins 8 caractères")).not_to_have_class("met")
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmer le mot de passe").fill(NEW_PASSWORD)
    assert rules.evaluate_all("items => items.every(i => i.classList.contains('met'))")
    page.step("reset-form-filled")
    page.get_by_role("button", name="Valider").click()

    expect(page.get_by_role("heading", name="Bonjour Hélène")).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("nouveau mot de passe est enregistré")
    page.step("reset-done-home")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion à mon espace client")).to_be_visible()
    sign_in(page, member, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Bonjour Hélène")).to_be_visible()

    page.goto(link)
    expect(page.get_by_role("heading", name="Ce lien ne peut plus être utilisé")).to_be_visible()
    page.step("reset-link-used")


def test_login_with_the_keyboard_only(page, provider, member):
    page.goto(f"{provider.url}/connexion")
    keyboard = page.keyboard
    email = page.get_by_label("Adresse email", exact=True)
    for _ in range(8):
        keyboard.press("Tab")
        if email.evaluate("e => e === document.activeElement"):
            break
    expect(email).to_be_focused()
    keyboard.type(member)
    keyboard.press("Tab")
    expect(page.get_by_label("Mot de passe", exact=True)).to_be_focused()
    keyboard.type(PASSWORD)
    keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Bonjour Hélène")).to_be_visible()


def test_admin_console_pages(page, provider):
    make_account(provider, "admin@exemple.fr", is_admin=True)
    make_account(provider, "paul@exemple.fr", number="87654321")
    page.goto(f"{provider.url}/admin/")
    sign_in_with_app(page, provider, "admin@exemple.fr")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    page.step("admin-dashboard")
    page.get_by_role("link", name="Comptes").click()
    page.step("admin-accounts")
    # Actions on an account sit on its own page, reached from the list.
    page.get_by_role("link", name="paul@exemple.fr").click()
    page.step("admin-account")
    page.get_by_role("button", name="Désactiver").click()
    expect(page.get_by_role("status").first).to_contain_text("paul@exemple.fr est désactivé")
    page.step("admin-account-disabled")
    for name, step in (
        ("Registre des adhérents", "admin-members"),
        ("Applications clientes", "admin-clients"),
        ("Clés de signature", "admin-keys"),
        ("Courriers sortants", "admin-mail"),
        ("Journal d'audit", "admin-audit"),
    ):
        page.get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", name=name)).to_be_visible()
        page.step(step)
