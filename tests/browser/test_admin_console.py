"""The console's main path in Chromium: dashboard, find a member, their page, a reset link,
deletion with its confirmation, the filtered journal; axe-core and 320 px at each step."""

from __future__ import annotations

from playwright.sync_api import expect

from .test_account_pages import make_account, sign_in_with_app


def test_find_act_on_and_delete_an_account(page, provider, smtp):
    make_account(provider, "admin@exemple.fr", is_admin=True, number="99999999")
    make_account(provider, "helene@exemple.fr")
    page.goto(f"{provider.url}/admin/")
    sign_in_with_app(page, provider, "admin@exemple.fr")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    page.step("admin-dashboard")

    page.get_by_role("link", name="Comptes", exact=True).click()
    page.get_by_label("Rechercher").fill("LEFEVRE dupont")
    page.get_by_role("button", name="Rechercher").click()
    page.step("admin-accounts-search")
    page.get_by_role("link", name="helene@exemple.fr").click()
    expect(page.get_by_role("heading", name="Hélène Lefèvre-Dupont")).to_be_visible()
    page.get_by_role("button", name="Envoyer un lien de réinitialisation").click()
    expect(page.get_by_role("status").first).to_contain_text("lien de réinitialisation")
    page.step("admin-account-page")
    assert smtp.messages_to("helene@exemple.fr")

    page.get_by_role("button", name="Supprimer le compte").click()
    page.step("admin-account-delete-confirm")
    page.get_by_role("button", name="Confirmer la suppression").click()
    expect(page.get_by_role("status").first).to_contain_text("Le compte est supprimé")

    page.get_by_role("link", name="Journal d'audit").click()
    page.get_by_label("Événement", exact=True).select_option("admin_action")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("cell", name="admin_action").first).to_be_visible()
    expect(page.get_by_role("link", name="Exporter en CSV")).to_be_visible()
    page.step("admin-journal-filtered")
