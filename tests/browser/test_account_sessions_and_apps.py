"""The account page's "Mes connexions actives" and "Applications autorisées" in Chromium, filled
(two browsers, one partner application): axe-core and 320 px at each step, the buttons pressed
from the keyboard."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from .test_account_pages import PASSWORD, make_account, sign_in

LONG_NAME = "Pharmacie partenaire du Grand-Est et de Bourgogne-Franche-Comté"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def another_browser_and_a_consent(provider, email):
    """A session of the member's phone and a remembered consent to a partner, as the
    provider would have left them."""
    from idp_extension.db import db
    from idp_extension.models import Account, SsoSession
    from idp_extension.models.oauth import Consent
    from idp_extension.oidc.clients import create_client
    from idp_extension.security import tokens

    app = provider.app
    now = app.extensions["idp"].clock.now()
    with app.app_context():
        account = db.session.scalar(db.select(Account).filter_by(email=email))
        db.session.add(
            SsoSession(
                digest=tokens.digest(tokens.new_token()),
                account_id=account.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=12),
                ip_address="2001:db8:85a3::8a2e:370:7334",
                user_agent=PHONE,
            )
        )
        client, _secret = create_client(LONG_NAME, ["http://127.0.0.1:9/cb"], [], first_party=False)
        db.session.add(
            Consent(
                account_id=account.id,
                client_pk=client.id,
                scopes=["openid", "email", "member"],
                granted_at=now,
            )
        )
        db.session.commit()


def test_sessions_and_applications_on_the_account_page(page, provider):
    email = "helene@exemple.fr"
    make_account(provider, email)
    another_browser_and_a_consent(provider, email)
    page.goto(f"{provider.url}/connexion")
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Mes connexions actives")).to_be_visible()
    expect(page.get_by_role("heading", name="Chrome · Android")).to_be_visible()
    expect(page.get_by_text("(cet appareil)")).to_be_visible()
    expect(page.get_by_role("heading", name=LONG_NAME)).to_be_visible()
    page.step("account-filled")

    button = page.get_by_role("button", name="Déconnecter mes autres appareils")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Vos autres appareils ont été déconnectés.")
    expect(page.get_by_role("heading", name="Chrome · Android")).to_have_count(0)
    page.step("others-signed-out")

    withdraw = page.get_by_role("button", name=f"Retirer l'autorisation donnée à {LONG_NAME}")
    withdraw.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(
        f"L'autorisation donnée à {LONG_NAME} est retirée."
    )
    expect(page.get_by_text("Vous n'avez autorisé aucune application partenaire.")).to_be_visible()
    page.step("application-withdrawn")
