"""The member's whole journey in Chromium, over https through nginx, in the production shape:
from the member portal to a new account by mail (delivered by the mail worker) and back signed
in with a code, then out again, the requests shared by two app server instances."""

from __future__ import annotations

import os
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from ..browser.conftest import CHROMIUM_ARGS
from ..browser.harness import (
    AXE_SCRIPT,
    CHROMIUM,
    AccessibilityLog,
    BrowserPage,
    activation_link,
    demo_members,
    wait_for_mail,
)
from ..browser.test_journey import PASSWORD, fill_sign_up
from .nginx import UPSTREAM_HEADER
from .stack import Stack

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium_trusting_the_certificate(stack: Stack, playwright_driver):
    """Debian's Chromium, told to accept exactly the test server's key (its SPKI digest), so
    the page is a secure context served with our certificate and nothing else is trusted."""
    if not os.path.isfile(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}: run `bash scripts/setup.sh` as root")
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"axe-core is missing at {AXE_SCRIPT}: run `bash scripts/setup.sh`")
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            f"--ignore-certificate-errors-spki-list={stack.certificate.spki_sha256}",
        ],
        env={**os.environ, "LANGUAGE": "fr"},
    )
    yield browser
    browser.close()


@pytest.fixture
def page(chromium_trusting_the_certificate, request):
    context = chromium_trusting_the_certificate.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR"
    )
    context.set_default_timeout(15_000)
    browser_page = BrowserPage(context.new_page(), request.node.name, AccessibilityLog())
    yield browser_page
    context.close()
    browser_page.assert_no_page_errors()


def test_sign_up_from_the_portal_over_https_then_sign_out(page, stack: Stack, portal, smtp):
    member = demo_members()[0]
    email = f"adherent.{uuid.uuid4().hex[:8]}@exemple.fr"
    upstreams: list[str] = []
    page.on(
        "response",
        lambda r: (
            r.url.startswith(stack.issuer) and upstreams.append(r.headers[UPSTREAM_HEADER.lower()])
        ),
    )

    page.goto(portal.url)
    page.get_by_role("link", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Connexion à mon espace client")).to_be_visible()
    assert page.url.startswith(f"{stack.issuer}/")
    assert page.evaluate("() => window.isSecureContext")
    page.step("production-login-over-https")

    page.get_by_role("link", name="Créer mon espace client").click()
    fill_sign_up(page, member, email)
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.startswith(f"{stack.issuer}/inscription")
    ) as sign_up:
        page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Consultez votre messagerie")).to_be_visible()
    sent = sign_up.value.all_headers()
    # The browser names our own site as the form's origin: the CSRF check compares it.
    assert sent["origin"] == stack.issuer
    assert sent["sec-fetch-site"] == "same-origin"

    # Delivered by the mail worker (the app servers here never send mail themselves).
    mail = wait_for_mail(smtp, email, timeout=30)
    link = activation_link(mail)
    assert link.startswith(f"{stack.issuer}/activation/")
    page.goto(link)
    expect(page.get_by_role("heading", name="Je définis mon mot de passe")).to_be_visible()
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmer le mot de passe").fill(PASSWORD)
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.startswith(f"{stack.issuer}/activation/")
    ) as activation:
        page.get_by_role("button", name="Valider").click()
    # The mobile number is verified next (tests/browser/test_second_factor.py): later.
    expect(page.get_by_label("Code reçu par SMS")).to_be_visible()
    with page.expect_request(lambda r: r.url.startswith(f"{portal.url}/callback")) as callback:
        page.get_by_role("button", name="Plus tard").click()
    # A token page names itself to nobody, so its form's Origin is "null"; the browser's
    # Sec-Fetch-Site still vouches for it, and the token does the rest.
    posted = activation.value.all_headers()
    assert posted["origin"] == "null"
    assert posted["sec-fetch-site"] == "same-origin"
    code = parse_qs(urlsplit(callback.value.url).query)["code"][0]

    expect(page.page).to_have_url(f"{portal.url}/mon-espace")
    expect(page.get_by_role("heading", name=f"Bonjour {member.first_name}")).to_be_visible()
    page.step("production-portal-signed-in")

    page.get_by_role("button", name="Se déconnecter").click()
    if page.url.startswith(stack.issuer):  # the provider may ask to confirm
        page.get_by_role("button", name="Se déconnecter").click()
    expect(page.page).to_have_url(re.compile("^" + re.escape(f"{portal.url}/")))
    expect(page.get_by_role("status")).to_have_text(re.compile("Votre session est fermée"))

    # Both instances served the journey; the session and the pending authorization request
    # crossed from one to the other.
    assert set(upstreams) == set(stack.instances)

    # Nothing that opens an account or a grant reached a log: nginx's, gunicorn's, the worker's.
    logs = stack.logs()
    token = urlsplit(link).path.rsplit("/", 1)[1]
    assert token not in logs and code not in logs
    assert "/activation/[redacted]" in logs
