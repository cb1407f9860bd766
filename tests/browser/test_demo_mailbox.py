"""The demo as a person tries it: no mail server, the activation mail read on the mailbox page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .harness import demo_members
from .test_journey import fill_sign_up, set_password_watching_the_checklist


def test_activation_mail_opened_from_the_demo_mailbox(page, demo_provider):
    from idp_extension.demo.service import prepare_demo

    with demo_provider.app.app_context():
        prepare_demo(portal_url="http://127.0.0.1:5001")
    member = demo_members()[1]
    email = "essai.demo@exemple.fr"

    page.goto(f"{demo_provider.url}/inscription")
    fill_sign_up(page, member, email)
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Consultez votre messagerie")).to_be_visible()

    page.goto(f"{demo_provider.url}/demo/mailbox")
    expect(page.get_by_role("heading", name="Boîte mail de démonstration")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    page.step("demo-mailbox")

    page.get_by_role("link", name="Activez votre espace client").click()
    mail = page.frame_locator("iframe.mail-frame")
    expect(mail.get_by_text(f"Bonjour {member.first_name}")).to_be_visible()
    page.step("demo-mailbox-message")
    # The whole mail shows, neither clipped nor scrolling inside its frame, even at 320 px.
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 800})
        frame = page.locator("iframe.mail-frame").element_handle().content_frame()
        overflow = frame.evaluate(
            "() => [document.documentElement.scrollHeight - window.innerHeight,"
            " document.documentElement.scrollWidth - window.innerWidth]"
        )
        assert overflow[0] <= 0 and overflow[1] <= 0, f"mail clipped at {width} px: {overflow}"
    page.set_viewport_size({"width": 1280, "height": 900})

    # The mail's button opens the link in the whole tab, as from a mail client.
    mail.get_by_role("link", name="Activer mon compte").click()
    expect(page.page).to_have_url(re.compile(re.escape(f"{demo_provider.url}/activation/")))
    set_password_watching_the_checklist(page)
    page.get_by_role("button", name="Valider").click()

    # The phone verification code went by SMS: in the demo, to the same mailbox.
    expect(page.get_by_label("Code reçu par SMS")).to_be_visible()
    page.goto(f"{demo_provider.url}/demo/mailbox")
    sms = page.locator(".sms-text").first
    expect(sms).to_contain_text("votre code de sécurité est")
    page.step("demo-mailbox-sms")
    code = re.search(r"\b(\d{6})\b", sms.inner_text()).group(1)
    page.goto(f"{demo_provider.url}/telephone/verification")
    page.get_by_label("Code reçu par SMS").fill(code)
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("status").first).to_contain_text("est vérifié")
    expect(page.get_by_role("heading", name=f"Bonjour {member.first_name}")).to_be_visible()


def test_mail_body_is_framed_with_its_own_narrow_policy(page, demo_provider):
    """The mail's inline styles work in its frame; the provider's pages keep their strict CSP."""
    response = page.request.get(f"{demo_provider.url}/demo/mailbox/1/contenu")
    assert response.status == 404  # nothing sent yet: no guessing other people's mail
    policy = page.request.get(f"{demo_provider.url}/demo/mailbox").headers[
        "content-security-policy"
    ]
    assert "unsafe-inline" not in policy
