"""A relying party asks for a second factor with acr_values=mfa (Authlib's client over HTTP)
and reads acr and amr (RFC 8176) in the ID token; a password-only session is stepped up."""

from __future__ import annotations

import pytest
import requests

from ..conftest import csrf_token
from .conftest import signed_in

PHONE = "+33612345678"


@pytest.fixture
def app_config(app_config, sms_gateway):
    return {**app_config, "IDP_SMS_GATEWAY_URL": sms_gateway.url}


def give_sms_code(browser, relying_party, page, sms_gateway, count=1):
    """On the second-factor page: ask for a code (opening the page sent none), type the code
    the gateway received, then back to the RP."""
    assert "Envoyer un code" in page.text and len(sms_gateway.received) == count - 1
    sent = browser.post(
        "/connexion/verification/renvoyer", data={"csrf_token": csrf_token(page.text)}
    )
    assert sent.status_code == 302
    page = browser.get("/connexion/verification")
    assert "Code reçu par SMS" in page.text
    code = sms_gateway.wait_for_code(PHONE, count=count)
    answer = browser.post(
        "/connexion/verification", data={"csrf_token": csrf_token(page.text), "code": code}
    )
    return browser.follow(answer, stop_at=relying_party.client.redirect_uri)


def id_token_of(relying_party, flow):
    token = relying_party.exchange(flow)
    return relying_party.verify_id_token(token["id_token"], flow, token["access_token"])


def test_discovery_lists_pwd_and_mfa(provider_url):
    config = requests.get(f"{provider_url}/.well-known/openid-configuration", timeout=10).json()
    assert config["acr_values_supported"] == ["pwd", "mfa"]
    assert {"acr", "amr"} <= set(config["claims_supported"])


def test_acr_values_mfa_forces_the_second_factor(member, browser, relying_party, sms_gateway):
    flow = relying_party.start(acr_values="mfa")
    to_login = browser.get(flow.url)
    assert to_login.headers["Location"].startswith("/connexion")
    signed = browser.login()
    page = browser.follow(signed, stop_at=relying_party.client.redirect_uri)
    assert page.url.endswith("/connexion/verification")  # the password was not enough
    flow.callback = give_sms_code(browser, relying_party, page, sms_gateway)
    claims = id_token_of(relying_party, flow)
    assert claims["acr"] == "mfa"
    assert claims["amr"] == ["pwd", "sms", "mfa"]


def test_a_password_session_is_stepped_up_when_asked(member, browser, relying_party, sms_gateway):
    signed_in(browser)
    plain = relying_party.run(browser, relying_party.start())
    claims = id_token_of(relying_party, plain)
    assert claims["acr"] == "pwd" and claims["amr"] == ["pwd"]

    # prompt=none cannot show the second-factor page: the RP hears login_required.
    silent = relying_party.run(browser, relying_party.start(acr_values="mfa", prompt="none"))
    assert silent.callback_params()["error"] == "login_required"

    flow = relying_party.start(acr_values="mfa")
    page = browser.follow(browser.get(flow.url), stop_at=relying_party.client.redirect_uri)
    flow.callback = give_sms_code(browser, relying_party, page, sms_gateway)
    claims = id_token_of(relying_party, flow)
    assert claims["acr"] == "mfa" and claims["amr"] == ["pwd", "sms", "mfa"]

    # Stepped up, the session stays so: no second code for the next portal.
    again = relying_party.run(browser, relying_party.start(acr_values="mfa"))
    assert id_token_of(relying_party, again)["acr"] == "mfa"
    assert len(sms_gateway.received) == 1


def test_an_essential_acr_claim_request_asks_the_same(member, browser, relying_party, sms_gateway):
    signed_in(browser)
    flow = relying_party.start(
        claims='{"id_token": {"acr": {"essential": true, "values": ["mfa"]}}}'
    )
    page = browser.follow(browser.get(flow.url), stop_at=relying_party.client.redirect_uri)
    flow.callback = give_sms_code(browser, relying_party, page, sms_gateway)
    assert id_token_of(relying_party, flow)["acr"] == "mfa"


def test_phone_number_verified_follows_the_verification(
    app, member, browser, relying_party, sms_gateway
):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start(scope="openid phone"))
    token = relying_party.exchange(flow)
    info = flow.session.get(relying_party.config["userinfo_endpoint"], timeout=10).json()
    assert info["phone_number"] == PHONE and info["phone_number_verified"] is False

    page = browser.get("/securite")
    browser.post("/telephone/verification/envoyer", data={"csrf_token": csrf_token(page.text)})
    form = browser.get("/telephone/verification")
    code = sms_gateway.wait_for_code(PHONE)
    done = browser.post(
        "/telephone/verification", data={"csrf_token": csrf_token(form.text), "code": code}
    )
    assert done.status_code == 302
    info = flow.session.get(relying_party.config["userinfo_endpoint"], timeout=10).json()
    assert info["phone_number_verified"] is True
    assert token["access_token"]
