"""The second factor in Chromium, SMS received by a local HTTP server standing for the gateway:
phone verification from the security page, SMS codes at sign-in, an authenticator app set up
from its key, recovery codes (axe-core and screenshots at each step)."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from .harness import start_provider
from .test_account_pages import PASSWORD, make_account, sign_in

PHONE = "+33612345678"
EMAIL = "helene@exemple.fr"


@pytest.fixture
def provider(tmp_path, smtp, browser_clock, sms_gateway):
    server = start_provider(
        tmp_path,
        smtp_port=smtp.port,
        clock=browser_clock,
        settings={
            "IDP_SMS_GATEWAY_URL": sms_gateway.url,
            "IDP_SMS_GATEWAY_TOKEN": sms_gateway.token,
            "IDP_ORGANISATION_NAME": "Mutuelle Exemple",
        },
    )
    yield server
    server.stop()


def sign_out(page):
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_label("Adresse email", exact=True)).to_be_visible()


def test_phone_verification_then_sms_and_app_at_sign_in(page, provider, sms_gateway, browser_clock):
    make_account(provider, EMAIL)
    page.goto(f"{provider.url}/connexion")
    sign_in(page, EMAIL, PASSWORD)
    page.get_by_role("link", name="Gérer la sécurité de mon compte").click()
    expect(page.get_by_role("heading", name="Sécurité de mon compte")).to_be_visible()
    page.step("security-page")

    # Opening the verification page sends nothing (prefetches, reloads): a button asks.
    page.goto(f"{provider.url}/telephone/verification")
    expect(page.get_by_role("button", name="Envoyer un code")).to_be_visible()
    expect(page.get_by_label("Code reçu par SMS")).to_have_count(0)
    page.step("verify-phone-ask")
    page.reload()
    assert sms_gateway.received == []

    # The mobile number: a code by SMS, typed back.
    page.goto(f"{provider.url}/securite")
    page.get_by_role("button", name="Vérifier mon numéro").click()
    expect(page.get_by_role("button", name="Renvoyer un code")).to_be_visible()
    page.step("verify-phone")
    page.get_by_label("Code reçu par SMS").fill(sms_gateway.wait_for_code(PHONE))
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("status").first).to_contain_text("est vérifié")
    assert sms_gateway.received[0]["text"].startswith("Mutuelle Exemple")

    # SMS codes at every sign-in, with ten recovery codes shown once.
    page.goto(f"{provider.url}/securite")
    page.get_by_role("button", name="Recevoir un code par SMS à chaque connexion").click()
    codes = page.locator(".recovery-codes li")
    expect(codes).to_have_count(10)
    page.step("recovery-codes")
    page.get_by_role("link", name="J'ai conservé mes codes").click()
    page.goto(f"{provider.url}/")
    sign_out(page)

    sign_in(page, EMAIL, PASSWORD)
    expect(page.get_by_label("Code reçu par SMS")).to_be_visible()
    page.step("second-factor-sms")
    page.get_by_label("Code reçu par SMS").fill(sms_gateway.wait_for_code(PHONE, count=2))
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Bonjour Hélène")).to_be_visible()

    # An authenticator app, set up from its key as text.
    page.get_by_role("link", name="Gérer la sécurité de mon compte").click()
    page.get_by_role("button", name="Configurer une application d'authentification").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    page.step("app-setup")
    key = page.locator("#secret-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(key)
    page.get_by_label("Code à 6 chiffres").fill(totp.at(browser_clock.now()))
    page.get_by_role("button", name="Valider").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="J'ai conservé mes codes").click()
    page.goto(f"{provider.url}/")
    sign_out(page)

    browser_clock.advance(seconds=30)
    sign_in(page, EMAIL, PASSWORD)
    expect(page.get_by_label("Code de votre application")).to_be_visible()
    page.step("second-factor-app")
    page.get_by_label("Code de votre application").fill(totp.at(browser_clock.now()))
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Bonjour Hélène")).to_be_visible()


def test_a_recovery_code_when_the_phone_is_lost(page, provider, sms_gateway, browser_clock):
    make_account(provider, EMAIL)
    page.goto(f"{provider.url}/connexion")
    sign_in(page, EMAIL, PASSWORD)
    page.goto(f"{provider.url}/securite")
    page.get_by_role("button", name="Configurer une application d'authentification").click()
    key = page.locator("#secret-key").inner_text().replace(" ", "")
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(key).at(browser_clock.now()))
    page.get_by_role("button", name="Valider").click()
    first_code = page.locator(".recovery-codes li").first.inner_text()
    page.get_by_role("link", name="J'ai conservé mes codes").click()
    page.goto(f"{provider.url}/")
    sign_out(page)

    sign_in(page, EMAIL, PASSWORD)
    page.get_by_role("link", name="Utiliser un code de secours").click()
    page.get_by_label("Code de secours").fill(first_code)
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Bonjour Hélène")).to_be_visible()
    sign_out(page)

    sign_in(page, EMAIL, PASSWORD)
    page.get_by_role("link", name="Utiliser un code de secours").click()
    page.get_by_label("Code de secours").fill(first_code)
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("alert")).to_contain_text("Ce code n'est pas le bon.")
    page.step("recovery-code-spent")
