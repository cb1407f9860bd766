"""The console's client and key pages in Chromium, filled: registering a client from the
keyboard-usable form (a refused URI first), the secret page, disabling, rotating keys; axe-core
and 320 px at each step."""

from __future__ import annotations

from playwright.sync_api import expect

from .test_account_pages import make_account, sign_in_with_app


def test_register_disable_and_rotate(page, provider):
    make_account(provider, "admin@exemple.fr", is_admin=True)
    page.goto(f"{provider.url}/admin/clients")
    sign_in_with_app(page, provider, "admin@exemple.fr")
    expect(page.get_by_role("heading", name="Applications clientes")).to_be_visible()

    page.get_by_label("Nom de l'application").fill("Portail des adhérents")
    page.get_by_label("Adresses de retour", exact=True).fill("http://portail.exemple.fr/cb")
    page.get_by_label("member").check()
    page.get_by_role("button", name="Enregistrer l'application").click()
    expect(page.get_by_role("alert")).to_contain_text("redirect URI must use https")
    page.step("admin-client-refused")

    page.get_by_label("Adresses de retour", exact=True).fill(
        "https://portail.exemple.fr/callback\nhttps://portail.exemple.fr/autre-retour-tres-long"
    )
    page.get_by_role("button", name="Enregistrer l'application").click()
    expect(page.get_by_role("heading", name="Application enregistrée")).to_be_visible()
    secret = page.locator("#client-secret").inner_text()
    assert len(secret) >= 32
    page.step("admin-client-created")

    page.get_by_role("link", name="Retour aux applications clientes").click()
    expect(page.get_by_role("heading", name="Portail des adhérents")).to_be_visible()
    assert secret not in page.content()
    page.get_by_role("button", name="Désactiver Portail des adhérents").click()
    expect(page.get_by_role("status").first).to_contain_text("est désactivée")
    page.step("admin-client-disabled")

    page.goto(f"{provider.url}/jwks.json")  # a relying party's fetch creates the first key
    page.goto(f"{provider.url}/admin/cles")
    expect(page.get_by_role("cell", name="active", exact=True)).to_have_count(1)
    page.get_by_role("button", name="Faire tourner les clés").click()
    expect(page.get_by_role("status").first).to_contain_text("Nouvelle clé publiée")
    # Publish first, sign later: the old key still signs, the new one is only published.
    expect(page.get_by_role("cell", name="publiée", exact=True)).to_have_count(1)
    expect(page.get_by_role("cell", name="active", exact=True)).to_have_count(1)
    page.step("admin-keys-rotated")
