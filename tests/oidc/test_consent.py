"""Consent for third-party clients (OIDC Core 3.1.2.4; prompt=consent)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from idp_extension.db import db
from idp_extension.models import AuditEvent

from ..conftest import csrf_token
from .conftest import RelyingParty, signed_in


@pytest.fixture
def third_party(register_client, provider_url, clock):
    client = register_client(name="Pharmacie partenaire", first_party=False)
    return RelyingParty(provider_url, client, clock)


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden_fields(page) -> dict:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}


def answer(browser, page, decision):
    """Press Autoriser or Refuser as the browser would submit the form."""
    fields = {**hidden_fields(page), "csrf_token": csrf_token(page.text), "decision": decision}
    return browser.post("/authorize/decision", data=fields)


def test_consent_page_then_remembered(app, member, browser, third_party):
    signed_in(browser)
    flow = third_party.start(scope="openid email member")
    page = browser.get(flow.url)
    assert page.status_code == 200
    assert "Pharmacie partenaire" in page.text
    assert "Votre adresse email" in page.text and "Votre numéro d'adhérent" in page.text
    assert ">Autoriser<" in page.text and ">Refuser<" in page.text
    flow.callback = answer(browser, page, "allow").headers["Location"]
    assert flow.callback.startswith(third_party.client.redirect_uri)
    token = third_party.exchange(flow)
    third_party.verify_id_token(token["id_token"], flow, token["access_token"])

    # Same client, same scopes: no page this time.
    again = third_party.run(browser, third_party.start(scope="openid email member"))
    assert "code" in again.callback_params()
    # A narrower request is covered too; a wider one asks again.
    assert "code" in third_party.run(browser, third_party.start(scope="openid")).callback_params()
    assert browser.get(third_party.start(scope="openid phone").url).status_code == 200
    with app.app_context():
        assert (
            db.session.scalars(db.select(AuditEvent).filter_by(event="consent_granted")).first()
            is not None
        )


def test_refuser_sends_access_denied(member, browser, third_party):
    signed_in(browser)
    flow = third_party.start()
    location = answer(browser, browser.get(flow.url), "deny").headers["Location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["error"] == "access_denied"
    assert params["state"] == flow.state
    assert "code" not in params
    # Nothing remembered: the page comes back.
    assert browser.get(third_party.start().url).status_code == 200


def test_prompt_consent_asks_again(member, browser, third_party):
    signed_in(browser)
    answer(browser, browser.get(third_party.start().url), "allow")
    assert browser.get(third_party.start(prompt="consent").url).status_code == 200


def test_prompt_none_needing_consent_is_consent_required(member, browser, third_party):
    signed_in(browser)
    reply = browser.get(third_party.start(prompt="none").url)
    assert parse_qs(urlsplit(reply.headers["Location"]).query)["error"] == ["consent_required"]


def test_consent_answer_needs_csrf(member, browser, third_party):
    signed_in(browser)
    page = browser.get(third_party.start().url)
    hidden = {**hidden_fields(page), "decision": "allow"}
    reply = browser.post("/authorize/decision", data=hidden)
    assert reply.status_code == 400 and "Location" not in reply.headers


def test_first_party_clients_skip_consent(member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start(prompt="consent"))
    assert "code" in flow.callback_params()


def test_refusal_carries_iss(member, browser, third_party, issuer):
    signed_in(browser)
    location = answer(browser, browser.get(third_party.start().url), "deny").headers["Location"]
    assert parse_qs(urlsplit(location).query)["iss"] == [issuer]


def test_consent_page_cannot_be_framed_nor_cached(member, browser, third_party):
    signed_in(browser)
    page = browser.get(third_party.start().url)
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"


def test_consent_page_escapes_the_request(member, browser, third_party):
    signed_in(browser)
    evil = '"><script>alert(1)</script>'
    page = browser.get(third_party.start(state=evil).url)
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert hidden_fields(page)["state"] == evil


def test_consent_lists_only_scopes_the_client_may_have(
    member, browser, register_client, provider_url, clock
):
    client = register_client(name="Pharmacie", first_party=False, scopes=["openid", "email"])
    rp = RelyingParty(provider_url, client, clock)
    signed_in(browser)
    page = browser.get(rp.start(scope="openid email member").url)
    assert "Votre adresse email" in page.text
    assert "Votre numéro d'adhérent" not in page.text


def test_consent_to_one_client_is_not_consent_to_another(
    member, browser, third_party, register_client, provider_url, clock
):
    signed_in(browser)
    answer(browser, browser.get(third_party.start().url), "allow")
    other = RelyingParty(provider_url, register_client(name="Opticien", first_party=False), clock)
    assert browser.get(other.start().url).status_code == 200
