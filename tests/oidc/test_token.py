"""The token endpoint, authorization_code grant (RFC 6749 4.1.3 and 5.2; OpenID Basic OP:
oidcc-codereuse, oidcc-codereuse-30seconds, oidcc-client-secret-post, oidcc-server)."""

from __future__ import annotations

import base64

import pytest
import requests

from ..conftest import both_databases
from .conftest import RelyingParty, signed_in


def code_for(browser, relying_party, **params):
    flow = relying_party.run(browser, relying_party.start(**params))
    return flow, flow.callback_params()["code"]


def post_token(rp, data, auth="basic", **kwargs):
    client = rp.client
    if auth == "basic":
        kwargs["auth"] = (client.client_id, client.client_secret)
    elif auth == "post":
        data = {**data, "client_id": client.client_id, "client_secret": client.client_secret}
    return requests.post(rp.config["token_endpoint"], data=data, timeout=10, **kwargs)


def code_request(flow, code):
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.session.redirect_uri,
    }


@both_databases
def test_code_reuse_is_refused_and_revokes_tokens_issued_from_it(member, browser, relying_party):
    signed_in(browser)
    flow, code = code_for(browser, relying_party)
    first = post_token(relying_party, code_request(flow, code))
    assert first.status_code == 200
    access = first.json()["access_token"]
    userinfo = relying_party.config["userinfo_endpoint"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert requests.get(userinfo, headers=bearer, timeout=10).status_code == 200

    replay = post_token(relying_party, code_request(flow, code))
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert requests.get(userinfo, headers=bearer, timeout=10).status_code == 401
    refreshed = post_token(
        relying_party,
        {"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]},
    )
    assert refreshed.json()["error"] == "invalid_grant"


def test_code_expires(member, browser, relying_party, clock):
    signed_in(browser)
    flow, code = code_for(browser, relying_party)
    clock.advance(seconds=121)
    reply = post_token(relying_party, code_request(flow, code))
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_the_authorization_request(member, browser, relying_party):
    signed_in(browser)
    flow, code = code_for(browser, relying_party)
    for wrong in ("http://127.0.0.1:9/other", None):
        data = code_request(flow, code)
        if wrong:
            data["redirect_uri"] = wrong
        else:
            del data["redirect_uri"]
        reply = post_token(relying_party, data)
        assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"
    # The code was not consumed by the refused attempts.
    assert post_token(relying_party, code_request(flow, code)).status_code == 200


def test_code_of_another_client_is_refused(
    member, browser, relying_party, register_client, provider_url, clock
):
    signed_in(browser)
    flow, code = code_for(browser, relying_party)
    other = RelyingParty(provider_url, register_client(name="Autre portail"), clock)
    reply = post_token(other, code_request(flow, code))
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"


def test_client_secret_post(member, browser, register_client, provider_url, clock):
    rp = RelyingParty(provider_url, register_client(auth_method="client_secret_post"), clock)
    signed_in(browser)
    flow = rp.run(browser, rp.start())
    token = rp.exchange(flow)  # Authlib's client sends the secret in the body
    rp.verify_id_token(token["id_token"], flow, token["access_token"])
    # The method is the one registered: Basic is refused for this client.
    flow, code = code_for(browser, rp)
    reply = post_token(rp, code_request(flow, code), auth="basic")
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "credentials",
    [
        ("wrong-secret", 401),
        (None, 401),
    ],
)
def test_wrong_client_authentication_is_401_with_www_authenticate(
    member, browser, relying_party, credentials
):
    secret, status = credentials
    signed_in(browser)
    flow, code = code_for(browser, relying_party)
    auth = (relying_party.client.client_id, secret) if secret else None
    reply = requests.post(
        relying_party.config["token_endpoint"], timeout=10, auth=auth, data=code_request(flow, code)
    )
    assert reply.status_code == status
    assert reply.json()["error"] == "invalid_client"
    assert reply.headers["WWW-Authenticate"].startswith("Basic ")
    # The code survives a failed client authentication.
    assert post_token(relying_party, code_request(flow, code)).status_code == 200


def test_unknown_client_is_invalid_client(relying_party):
    reply = requests.post(
        relying_party.config["token_endpoint"],
        timeout=10,
        auth=("nobody", "secret"),
        data={"grant_type": "authorization_code", "code": "x"},
    )
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "header", ["Basic %%%notbase64", "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()]
)
def test_malformed_basic_credentials_are_invalid_client(relying_party, header):
    reply = requests.post(
        relying_party.config["token_endpoint"],
        timeout=10,
        headers={"Authorization": header},
        data={"grant_type": "authorization_code", "code": "x"},
    )
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "data, error",
    [
        ({}, "invalid_request"),
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x" * 5000}, "invalid_grant"),
        ({"grant_type": "authorization_code", "code": "nope"}, "invalid_grant"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
    ],
)
def test_token_request_errors(relying_party, data, error):
    reply = post_token(relying_party, data)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"] == error
    assert reply.headers["Cache-Control"] == "no-store"


def test_repeated_parameters_are_invalid_request(member, browser, relying_party):
    signed_in(browser)
    flow, code = code_for(browser, relying_party)
    data = list(code_request(flow, code).items()) + [("code", code)]
    reply = post_token(relying_party, data)
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_request"
    assert post_token(relying_party, code_request(flow, code)).status_code == 200


def test_wrong_content_types_and_query_parameters_are_invalid_request(
    member, browser, relying_party
):
    signed_in(browser)
    flow, code = code_for(browser, relying_party)
    auth = (relying_party.client.client_id, relying_party.client.client_secret)
    url = relying_party.config["token_endpoint"]
    as_json = requests.post(url, json=code_request(flow, code), auth=auth, timeout=10)
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    in_query = requests.post(url, params=code_request(flow, code), auth=auth, timeout=10)
    assert in_query.status_code == 400 and in_query.json()["error"] == "invalid_request"
    broken = requests.post(
        url,
        data=b"grant_type=authorization_code&code=\xff\xfe",
        auth=auth,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert 400 <= broken.status_code < 500


def test_huge_body_is_refused_before_parsing(relying_party):
    reply = post_token(relying_party, {"grant_type": "authorization_code", "code": "x" * 300_000})
    assert reply.status_code == 413


def test_a_basic_client_cannot_authenticate_in_the_body(member, browser, relying_party):
    signed_in(browser)
    flow, code = code_for(browser, relying_party)
    reply = post_token(relying_party, code_request(flow, code), auth="post")
    assert reply.status_code in (400, 401) and reply.json()["error"] == "invalid_client"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Pragma"] == "no-cache"
    assert post_token(relying_party, code_request(flow, code)).status_code == 200


def test_every_token_error_forbids_caching(member, browser, relying_party):
    signed_in(browser)
    flow, code = code_for(browser, relying_party)
    url = relying_party.config["token_endpoint"]
    replies = [
        requests.post(
            url,
            data=code_request(flow, code),
            timeout=10,
            auth=(relying_party.client.client_id, "wrong"),
        ),
        requests.post(url, data={}, timeout=10),
        requests.post(url, json={}, timeout=10),
        post_token(
            relying_party,
            {
                "grant_type": "authorization_code",
                "code": "nope",
                "redirect_uri": flow.session.redirect_uri,
            },
        ),
        requests.post(
            url,
            timeout=10,
            headers={"Authorization": "Basic %%%"},
            data={"grant_type": "authorization_code"},
        ),
    ]
    for reply in replies:
        assert 400 <= reply.status_code < 500
        assert reply.headers["Cache-Control"] == "no-store", reply.text
        assert reply.headers["Pragma"] == "no-cache", reply.text
        assert reply.headers["Content-Type"].startswith("application/json")


def test_a_disabled_client_cannot_redeem_its_code(app, member, browser, relying_party, clock):
    from idp_extension.db import db
    from idp_extension.models.oauth import OAuthClient

    signed_in(browser)
    flow, code = code_for(browser, relying_party)
    with app.app_context():
        db.session.scalars(
            db.select(OAuthClient).filter_by(client_id=relying_party.client.client_id)
        ).one().disabled_at = clock.now()
        db.session.commit()
    reply = post_token(relying_party, code_request(flow, code))
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_client"


def test_two_client_authentication_methods_at_once_are_refused(member, browser, relying_party):
    """RFC 6749 2.3: a client MUST NOT use more than one authentication method per request."""
    signed_in(browser)
    flow, code = code_for(browser, relying_party)
    client = relying_party.client
    for endpoint, data in (
        ("token_endpoint", code_request(flow, code)),
        ("revocation_endpoint", {"token": "x"}),
        ("introspection_endpoint", {"token": "x"}),
    ):
        reply = requests.post(
            relying_party.config[endpoint],
            timeout=10,
            auth=(client.client_id, client.client_secret),
            data={**data, "client_id": client.client_id, "client_secret": client.client_secret},
        )
        assert reply.status_code == 400 and reply.json()["error"] == "invalid_request", endpoint
    assert post_token(relying_party, code_request(flow, code)).status_code == 200


@pytest.mark.parametrize("header", ["Basic ", "Basic", "basic \t", "Basic " + "w6k="])
def test_malformed_basic_credentials_are_invalid_client_not_500(provider_url, header):
    # Found by tests/oidc/test_fuzz_endpoints.py: "Basic " alone broke Authlib's split.
    for path in ("/token", "/revoke", "/introspect"):
        reply = requests.post(
            provider_url + path,
            data={"grant_type": "authorization_code", "code": "x", "token": "x"},
            headers={"Authorization": header},
            timeout=10,
        )
        assert reply.status_code in (400, 401), (path, reply.status_code)
        assert reply.json()["error"] in ("invalid_client", "invalid_request")
