"""PKCE (RFC 7636): S256 required of public clients, accepted from all, plain refused
(OpenID Config OP: oidcc-ensure-pkce-*)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ..conftest import both_databases
from .conftest import RelyingParty, signed_in


@pytest.fixture
def public_rp(register_client, provider_url, clock):
    return RelyingParty(provider_url, register_client(name="Appli mobile", public=True), clock)


def error_of(location):
    return parse_qs(urlsplit(location).query)["error"][0]


@both_databases
def test_public_client_with_s256_gets_tokens_without_a_secret(member, browser, public_rp):
    signed_in(browser)
    flow = public_rp.run(browser, public_rp.start())
    token = public_rp.exchange(flow)
    public_rp.verify_id_token(token["id_token"], flow, token["access_token"])


def test_public_client_without_pkce_is_refused(member, browser, public_rp):
    signed_in(browser)
    reply = browser.get(public_rp.start(pkce=False).url)
    assert error_of(reply.headers["Location"]) == "invalid_request"


def test_plain_method_is_refused(member, browser, public_rp):
    signed_in(browser)
    reply = browser.get(public_rp.start(code_challenge="a" * 43, code_challenge_method="plain").url)
    assert error_of(reply.headers["Location"]) == "invalid_request"


def _code_flow(browser, rp):
    flow = rp.run(browser, rp.start())
    return flow, flow.callback_params()["code"]


@pytest.mark.parametrize(
    "verifier, error",
    [
        ("w" * 50, "invalid_grant"),
        (None, "invalid_request"),
        ("short", "invalid_request"),
    ],
)
def test_wrong_or_missing_verifier_is_refused(member, browser, public_rp, verifier, error):
    signed_in(browser)
    flow, code = _code_flow(browser, public_rp)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": public_rp.client.client_id,
        "redirect_uri": public_rp.client.redirect_uri,
    }
    if verifier:
        data["code_verifier"] = verifier
    reply = requests.post(public_rp.config["token_endpoint"], data=data, timeout=10)
    assert reply.status_code == 400 and reply.json()["error"] == error


def test_public_client_cannot_pretend_to_have_a_secret(member, browser, public_rp):
    signed_in(browser)
    flow, code = _code_flow(browser, public_rp)
    reply = requests.post(
        public_rp.config["token_endpoint"],
        timeout=10,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": flow.code_verifier,
            "redirect_uri": public_rp.client.redirect_uri,
        },
        auth=(public_rp.client.client_id, "anything"),
    )
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_client"


def test_confidential_client_may_use_pkce_and_must_then_prove_it(member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start(pkce=True))
    code = flow.callback_params()["code"]
    reply = requests.post(
        relying_party.config["token_endpoint"],
        timeout=10,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": relying_party.client.redirect_uri,
        },
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    )
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_request"
    token = relying_party.exchange(flow)
    assert token["access_token"]


def test_verifier_without_challenge_is_invalid_grant(member, browser, relying_party):
    """RFC 9700 4.8.2 (PKCE downgrade): a code_verifier for a code issued without a challenge."""
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start(pkce=False))
    reply = requests.post(
        relying_party.config["token_endpoint"],
        timeout=10,
        data={
            "grant_type": "authorization_code",
            "code": flow.callback_params()["code"],
            "redirect_uri": relying_party.client.redirect_uri,
            "code_verifier": "v" * 43,
        },
        auth=(relying_party.client.client_id, relying_party.client.client_secret),
    )
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("challenge", ["a" * 42, "a" * 129, "a" * 42 + "+", "é" * 43])
def test_malformed_challenge_is_refused(member, browser, public_rp, challenge):
    signed_in(browser)
    reply = browser.get(public_rp.start(code_challenge=challenge, code_challenge_method="S256").url)
    assert error_of(reply.headers["Location"]) == "invalid_request"


@pytest.mark.parametrize("verifier", ["v" * 42, "v" * 129, "v" * 42 + "/", "v" * 42 + "é"])
def test_verifier_outside_rfc7636_grammar_is_refused(
    member, browser, register_client, provider_url, clock, verifier
):
    rp = RelyingParty(provider_url, register_client(name="Appli", public=True), clock)
    signed_in(browser)
    # The challenge matches the malformed verifier: only the grammar can refuse it.
    digest = hashlib.sha256(verifier.encode("utf-8")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    flow = rp.run(browser, rp.start(code_challenge=challenge))
    reply = requests.post(
        rp.config["token_endpoint"],
        timeout=10,
        data={
            "grant_type": "authorization_code",
            "code": flow.callback_params()["code"],
            "client_id": rp.client.client_id,
            "redirect_uri": rp.client.redirect_uri,
            "code_verifier": verifier,
        },
    )
    assert reply.status_code == 400 and reply.json()["error"] in (
        "invalid_request",
        "invalid_grant",
    )
