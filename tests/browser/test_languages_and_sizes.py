"""The journey in a browser whose language is English, then French (the page follows the
browser's Accept-Language); the member and admin pages at 320 px with the longest names and
addresses of the fixtures; the sign-up and account pages at 200 % zoom."""

from __future__ import annotations

import re
from datetime import date
from functools import cache

import pytest
from babel.support import Translations
from playwright.sync_api import expect

from ..mailparse import link_labelled
from .harness import ROOT, add_member, fill_birth_date, wait_for_mail
from .test_account_pages import PASSWORD

NEW_PASSWORD = "Éléphant#2026"  # an accented capital meets the upper-case rule
LONG_FIRST = "Marie-Amélie-Bérengère-Clémentine"
LONG_LAST = "de La Rochefoucauld-Montmorency-Laval-Saint-Exupéry"
LONG_EMAIL = "marie-amelie-berengere.de-la-rochefoucauld-montmorency@mutuelle-exemple.fr"


@cache
def _english():
    return Translations.load(str(ROOT / "idp_extension" / "translations"), ["en"])


def words_for(locale: str):
    """The provider's words as the browser's language shows them (French is the source)."""
    if locale.startswith("fr"):
        return lambda text: text
    return _english().gettext


@pytest.mark.parametrize("page", ["en-GB", "fr-FR"], indirect=True)
def test_the_journey_follows_the_browsers_language(page, provider, portal, smtp):
    t = words_for(page.locale)
    lang = page.locale[:2]
    born = date(1985, 4, 12)  # 12 April: an English browser must not read 4 December
    add_member(
        provider, member_number="76543219", first_name="Zoé", last_name="Cœur", birth_date=born
    )
    email = f"zoe.{lang}@exemple.fr"

    page.goto(portal.url)
    page.get_by_role("link", name="Se connecter").click()  # the portal itself is French
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", name=t("Connexion à mon espace client"))).to_be_visible()
    page.step(f"login-{lang}")
    page.get_by_role("link", name=t("Créer mon espace client")).click()

    page.get_by_label(t("Votre prénom")).fill("Zoé")
    page.get_by_label(t("Votre nom")).fill("COEUR")
    fill_birth_date(page, born, (t("Jour"), t("Mois"), t("Année")))
    page.get_by_label(t("Votre numéro d'adhérent")).fill("76543219")
    page.get_by_label(t("Votre adresse email")).fill(email)
    page.get_by_label(t("Confirmer adresse email")).fill(email)
    page.get_by_label(t("Votre téléphone portable")).fill("06 12 34 56 78")
    page.get_by_label(t("Confirmer votre numéro")).fill("06 12 34 56 78")
    page.get_by_role("checkbox").check()
    page.step(f"signup-filled-{lang}")
    page.get_by_role("button", name=t("Valider")).click()
    expect(page.get_by_role("heading", name=t("Consultez votre messagerie"))).to_be_visible()
    page.step(f"email-sent-{lang}")

    mail = wait_for_mail(smtp, email, provider=provider)
    assert mail["Subject"] == t("Activez votre espace client")
    page.goto(link_labelled(mail, t("Activer mon compte")))
    page.get_by_label(t("Mot de passe"), exact=True).fill(NEW_PASSWORD)
    page.get_by_label(t("Confirmer le mot de passe")).fill(NEW_PASSWORD)
    upper = page.locator("ul.checklist li", has_text=t("Au moins une lettre majuscule (ABC...)"))
    expect(upper).to_have_class(re.compile(r"\bmet\b"))
    page.step(f"password-{lang}")
    page.get_by_role("button", name=t("Valider")).click()
    # The mobile number is verified next (the second-factor tests do it): later.
    expect(page.get_by_label(t("Code reçu par SMS"))).to_be_visible()
    page.step(f"verify-phone-{lang}")
    page.get_by_role("button", name=t("Plus tard")).click()

    expect(page.page).to_have_url(f"{portal.url}/mon-espace")
    expect(page.get_by_role("heading", name="Bonjour Zoé")).to_be_visible()
    assert "12/04/1985" in page.locator("dl.claims").inner_text()


def long_account(provider, email: str, *, is_admin=False, number: str) -> None:
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
                first_name=LONG_FIRST,
                last_name=LONG_LAST,
                birth_date=date(1950, 12, 31),
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


def sign_in(page, email: str) -> None:
    page.get_by_label("Adresse email", exact=True).fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_longest_names_and_addresses_fit_every_page_at_320_px(page, provider):
    """Each step checks 320 px (no sideways scroll) and axe; the account page also keeps each
    value whole under its label."""
    long_account(provider, LONG_EMAIL, is_admin=True, number="87651234")
    add_member(
        provider,
        member_number="87651234",
        first_name=LONG_FIRST,
        last_name=LONG_LAST,
        birth_date=date(1950, 12, 31),
    )
    page.goto(f"{provider.url}/inscription")
    page.get_by_label("Votre prénom").fill(LONG_FIRST)
    page.get_by_label("Votre nom").fill(LONG_LAST)
    page.get_by_label("Votre adresse email").fill(LONG_EMAIL)
    page.get_by_role("button", name="Valider").click()
    page.step("signup-long-values-errors")

    page.goto(f"{provider.url}/connexion")
    sign_in(page, LONG_EMAIL)
    expect(page.get_by_role("heading", name=f"Bonjour {LONG_FIRST}")).to_be_visible()
    page.step("account-long-values")
    page.set_viewport_size({"width": 320, "height": 800})
    number = page.locator("dl.profile dd", has_text="87651234").first
    box = number.bounding_box()
    assert box["height"] < 40, "the member number wraps mid-number"
    label = page.locator("dl.profile dt", has_text="Numéro d'adhérent").first.bounding_box()
    assert label["y"] + label["height"] <= box["y"] + 1, "label and value side by side at 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})

    for path in ("/admin/", "/admin/comptes", "/admin/journal", "/accessibilite", "/contact"):
        page.goto(f"{provider.url}{path}")
        page.step(f"long-values{path.replace('/', '-')}")
    page.goto(f"{provider.url}/nulle-part")
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    page.step("not-found")


def test_sign_up_and_account_pages_at_200_percent_zoom(page, provider):
    long_account(provider, LONG_EMAIL, number="87651235")
    page.goto(f"{provider.url}/inscription")
    page.check_zoomed("signup")
    page.get_by_role("button", name="Valider").click()
    page.check_zoomed("signup-errors")
    page.goto(f"{provider.url}/connexion")
    sign_in(page, LONG_EMAIL)
    expect(page.get_by_role("heading", name=f"Bonjour {LONG_FIRST}")).to_be_visible()
    page.check_zoomed("account")
