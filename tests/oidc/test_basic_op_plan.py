"""OpenID Foundation Basic OP test-plan modules not covered by a more specific file
(oidcc-ensure-request-without-nonce-succeeds-for-code-flow, oidcc-ensure-other-scope-order-succeeds,
oidcc-ensure-request-with-unknown-parameter-succeeds, oidcc-response-type-missing,
oidcc-redirect-uri-query-mismatch, oidcc-redirect-uri-query-added, oidcc-redirect-uri-query-OK,
oidcc-scope-address, oidcc-claims-locales, oidcc-codereuse-30seconds)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from .conftest import RelyingParty, signed_in


def query(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_code_flow_without_nonce_succeeds_and_the_id_token_has_none(member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.start()
    url = urlsplit(flow.url)
    params = [(k, v) for k, v in parse_qs(url.query).items() if k != "nonce"]
    flow.url = url._replace(query=urlencode([(k, v[0]) for k, v in params])).geturl()
    flow.nonce = None
    relying_party.run(browser, flow)
    token = relying_party.exchange(flow)
    claims = relying_party.verify_id_token(token["id_token"], None, token["access_token"])
    assert "nonce" not in claims


def test_other_scope_order_unknown_parameters_and_claims_locales_succeed(
    member, browser, relying_party
):
    signed_in(browser)
    flow = relying_party.run(
        browser,
        relying_party.start(
            scope="email address openid", claims_locales="fr", extra_parameter="ignored"
        ),
    )
    token = relying_party.exchange(flow)
    assert token["scope"] == "email openid"
    relying_party.verify_id_token(token["id_token"], flow, token["access_token"])


def test_missing_response_type_is_sent_back_as_an_error(member, browser, rp_client, issuer):
    signed_in(browser)
    reply = browser.get(
        "/authorize?"
        + urlencode(
            {
                "client_id": rp_client.client_id,
                "redirect_uri": rp_client.redirect_uri,
                "scope": "openid",
                "state": "s",
            }
        )
    )
    assert reply.status_code == 302
    params = query(reply.headers["Location"])
    assert params["error"] in ("invalid_request", "unsupported_response_type")
    assert params["state"] == "s" and params["iss"] == issuer and "code" not in params


def test_redirect_uri_with_a_registered_query(
    member, browser, register_client, provider_url, clock
):
    registered = "http://127.0.0.1:9/cb?portal=adherent"
    rp = RelyingParty(provider_url, register_client(redirect_uris=(registered,)), clock)
    signed_in(browser)
    flow = rp.run(browser, rp.start())
    assert flow.callback.startswith(registered + "&")
    assert query(flow.callback)["portal"] == "adherent"
    rp.exchange(flow)
    for wrong in (
        "http://127.0.0.1:9/cb?portal=other",
        registered + "&added=1",
        "http://127.0.0.1:9/cb",
    ):
        reply = browser.get(
            "/authorize?"
            + urlencode(
                {
                    "response_type": "code",
                    "client_id": rp.client.client_id,
                    "redirect_uri": wrong,
                    "scope": "openid",
                }
            )
        )
        assert reply.status_code == 400 and "Location" not in reply.headers, wrong


def test_code_reused_after_30_seconds_is_refused_and_revokes(member, browser, relying_party, clock):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start())
    token = relying_party.exchange(flow)
    clock.advance(seconds=30)
    auth = (relying_party.client.client_id, relying_party.client.client_secret)
    replay = requests.post(
        relying_party.config["token_endpoint"],
        auth=auth,
        timeout=10,
        data={
            "grant_type": "authorization_code",
            "code": flow.callback_params()["code"],
            "redirect_uri": relying_party.client.redirect_uri,
        },
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    userinfo = requests.get(
        relying_party.config["userinfo_endpoint"],
        timeout=10,
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert userinfo.status_code == 401
