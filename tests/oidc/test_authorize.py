"""The authorization endpoint (OIDC Core 3.1.2; OpenID Basic OP: oidcc-prompt-*, oidcc-max-age-*,
oidcc-id-token-hint, oidcc-ensure-registered-redirect-uri, oidcc-ensure-redirect-uri-in-*,
oidcc-unsupported-request-object, oidcc-claims-essential, oidcc-ensure-request-*)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from ..conftest import both_databases
from .conftest import RP_CALLBACK, make_account, signed_in


def query(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize_url(client, **params) -> str:
    values = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": "openid",
        "state": "st4te",
        "nonce": "n0nce",
        **params,
    }
    return "/authorize?" + urlencode({k: v for k, v in values.items() if v is not None})


def assert_error_page(response):
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "Nous ne pouvons pas donner suite" in response.text


@both_databases
def test_no_session_goes_to_login_and_comes_back_to_rp(member, browser, relying_party):
    flow = relying_party.start()
    first = browser.get(flow.url)
    assert first.status_code == 302
    assert urlsplit(first.headers["Location"]).path == "/connexion"
    landed = browser.login()  # the real login page, then back to /authorize
    flow.callback = browser.follow(landed, stop_at=relying_party.client.redirect_uri)
    assert flow.callback_params()["state"] == flow.state
    token = relying_party.exchange(flow)
    relying_party.verify_id_token(token["id_token"], flow, token["access_token"])


def test_login_hint_is_passed_to_the_login_page(member, browser, relying_party):
    reply = browser.get(relying_party.start(login_hint="helene@example.fr").url)
    assert query(reply.headers["Location"])["login_hint"] == "helene@example.fr"
    page = browser.get(reply.headers["Location"])
    assert 'value="helene@example.fr"' in page.text


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uri": "http://127.0.0.1:9/other"},
        {"redirect_uri": RP_CALLBACK + "/"},
        {"redirect_uri": RP_CALLBACK + "?extra=1"},
        {"redirect_uri": None},
        {"client_id": "unknown-client"},
        {"client_id": None},
        {"client_id": "x" * 5000},
    ],
)
def test_untrusted_client_or_redirect_uri_gets_an_error_page_never_a_redirect(
    member, browser, rp_client, change
):
    signed_in(browser)
    params = {
        "response_type": "code",
        "client_id": rp_client.client_id,
        "redirect_uri": rp_client.redirect_uri,
        "scope": "openid",
        "state": "s",
    }
    params.update(change)
    reply = browser.get("/authorize?" + urlencode({k: v for k, v in params.items() if v}))
    assert_error_page(reply)


def test_repeated_redirect_uri_gets_an_error_page(member, browser, rp_client):
    reply = browser.get(authorize_url(rp_client) + "&redirect_uri=" + rp_client.redirect_uri)
    assert_error_page(reply)


@pytest.mark.parametrize(
    "extra, error",
    [
        ("&state=again", "invalid_request"),
        ("&scope=openid", "invalid_request"),
        ("&response_type=token", "invalid_request"),
        ("&request=eyJhbGciOiJub25lIn0.e30.", "request_not_supported"),
        ("&request_uri=https%3A%2F%2Frp.example%2Freq", "request_uri_not_supported"),
        ("&claims=%7Bnot-json", "invalid_request"),
        ("&claims=%5B1%5D", "invalid_request"),
        ("&max_age=-1", "invalid_request"),
        ("&max_age=abc", "invalid_request"),
        ("&prompt=none+login", "invalid_request"),
        ("&nonce2=x&code_challenge=abc&code_challenge_method=S256", "invalid_request"),
        ("&code_challenge=" + "a" * 43 + "&code_challenge_method=plain", "invalid_request"),
        ("&id_token_hint=not.a.token", "invalid_request"),
        ("&response_mode=fragment", "invalid_request"),
        ("&login_hint=" + "x" * 5000, "invalid_request"),
    ],
)
def test_bad_requests_are_sent_back_with_error_state_and_iss(
    member, browser, rp_client, issuer, extra, error
):
    signed_in(browser)
    reply = browser.get(authorize_url(rp_client) + extra)
    assert reply.status_code == 302, reply.text[:300]
    location = reply.headers["Location"]
    assert location.startswith(rp_client.redirect_uri + "?")
    params = query(location)
    assert params["error"] == error
    assert params["iss"] == issuer
    assert "code" not in params
    if extra != "&state=again":
        assert params["state"] == "st4te"


@pytest.mark.parametrize(
    "extra",
    [
        "&%C3%A9t%C3%A9=1&%C3%A9t%C3%A9=2",  # a repeated non-ASCII name
        "&" + "n" * 100 + "=" + "v" * 2000,  # a long name with a long value
        "&state=%C3%A9t%C3%A9%00%FF",  # a repeated, odd state
        "&claims=%FF%FE",  # broken UTF-8 in JSON
    ],
)
def test_odd_input_is_refused_cleanly(member, browser, rp_client, extra):
    signed_in(browser)
    reply = browser.get(authorize_url(rp_client) + extra)
    assert reply.status_code == 302
    assert query(reply.headers["Location"])["error"] == "invalid_request"


def test_unsupported_response_type_is_sent_back(member, browser, rp_client):
    signed_in(browser)
    reply = browser.get(authorize_url(rp_client, response_type="token"))
    assert query(reply.headers["Location"])["error"] == "unsupported_response_type"


def test_authorization_by_form_post_needs_no_csrf_token(member, browser, rp_client, issuer):
    signed_in(browser)
    reply = browser.post(
        "/authorize",
        data={
            "response_type": "code",
            "client_id": rp_client.client_id,
            "redirect_uri": rp_client.redirect_uri,
            "scope": "openid",
            "state": "posted",
        },
    )
    assert reply.status_code == 302
    params = query(reply.headers["Location"])
    assert params["state"] == "posted" and params["code"] and params["iss"] == issuer


def test_form_post_authorization_without_session_parks_a_get_url(member, browser, rp_client):
    reply = browser.post(
        "/authorize",
        data={
            "response_type": "code",
            "client_id": rp_client.client_id,
            "redirect_uri": rp_client.redirect_uri,
            "scope": "openid",
            "state": "posted",
        },
    )
    assert urlsplit(reply.headers["Location"]).path == "/connexion"
    back = browser.login()
    assert back.headers["Location"].startswith("/authorize?")
    location = browser.follow(back, stop_at=rp_client.redirect_uri)
    assert query(location)["state"] == "posted"


def test_authorize_refuses_a_json_body(browser, rp_client):
    reply = browser.post("/authorize", json={"client_id": rp_client.client_id})
    assert_error_page(reply)


def test_wrong_methods_are_refused(browser):
    assert browser.post("/jwks.json").status_code == 405
    assert browser.get("/token").status_code == 405
    assert browser.get("/revoke").status_code == 405
    assert browser.get("/introspect").status_code == 405
    assert browser.http.put(browser.base + "/authorize", timeout=5).status_code == 405


# -- prompt (OIDC Core 3.1.2.1) --


def test_prompt_none_without_session_is_login_required(member, browser, rp_client):
    reply = browser.get(authorize_url(rp_client, prompt="none"))
    params = query(reply.headers["Location"])
    assert params["error"] == "login_required" and params["state"] == "st4te"


def test_prompt_none_with_session_returns_a_code_without_any_page(member, browser, rp_client):
    signed_in(browser)
    reply = browser.get(authorize_url(rp_client, prompt="none"))
    assert "code" in query(reply.headers["Location"])


def test_prompt_login_forces_a_new_login(member, browser, relying_party, clock):
    signed_in(browser)
    first_auth = int(clock.now().timestamp())
    clock.advance(minutes=5)
    flow = relying_party.start(prompt="login")
    reply = browser.get(flow.url)
    assert urlsplit(reply.headers["Location"]).path == "/connexion"
    # Coming back without signing in again does not slip through.
    again = browser.get(flow.url)
    assert urlsplit(again.headers["Location"]).path == "/connexion"
    flow.callback = browser.follow(browser.login(), stop_at=relying_party.client.redirect_uri)
    token = relying_party.exchange(flow)
    claims = relying_party.verify_id_token(token["id_token"], flow, token["access_token"])
    assert claims["auth_time"] == first_auth + 300


def test_max_age_forces_login_when_authentication_is_older(member, browser, relying_party, clock):
    signed_in(browser)
    clock.advance(seconds=2)
    flow = relying_party.start(max_age="1")
    reply = browser.get(flow.url)
    assert urlsplit(reply.headers["Location"]).path == "/connexion"
    flow.callback = browser.follow(browser.login(), stop_at=relying_party.client.redirect_uri)
    token = relying_party.exchange(flow)
    claims = relying_party.verify_id_token(
        token["id_token"], flow, token["access_token"], max_age=1
    )
    assert claims["auth_time"] == int(clock.now().timestamp())


def test_max_age_satisfied_needs_no_login(member, browser, relying_party, clock):
    signed_in(browser)
    clock.advance(seconds=30)
    flow = relying_party.run(browser, relying_party.start(max_age="60"))
    token = relying_party.exchange(flow)
    claims = relying_party.verify_id_token(
        token["id_token"], flow, token["access_token"], max_age=60
    )
    assert claims["auth_time"] == int(clock.now().timestamp()) - 30


def test_prompt_none_with_expired_max_age_is_login_required(member, browser, rp_client, clock):
    signed_in(browser)
    clock.advance(seconds=10)
    reply = browser.get(authorize_url(rp_client, prompt="none", max_age="5"))
    assert query(reply.headers["Location"])["error"] == "login_required"


def test_prompt_create_goes_straight_to_sign_up(browser, rp_client):
    reply = browser.get(authorize_url(rp_client, prompt="create"))
    assert reply.status_code == 302
    assert urlsplit(reply.headers["Location"]).path == "/inscription"


# -- id_token_hint --


def test_id_token_hint_of_the_signed_in_member_passes(member, browser, relying_party):
    signed_in(browser)
    token = relying_party.exchange(relying_party.run(browser, relying_party.start()))
    flow = relying_party.run(
        browser, relying_party.start(prompt="none", id_token_hint=token["id_token"])
    )
    assert "code" in flow.callback_params()


def test_id_token_hint_of_another_member_is_login_required_or_relogin(
    app, member, browser, relying_party, clock
):
    signed_in(browser)
    hint = relying_party.exchange(relying_party.run(browser, relying_party.start()))["id_token"]
    clock.advance(hours=2)  # an expired ID token is still a valid hint
    make_account(app, email="zoe@example.fr", member_number="87654321")
    other = browser.__class__(browser.base)
    signed_in(other, "zoe@example.fr")
    silent = other.get(relying_party.start(prompt="none", id_token_hint=hint).url)
    assert query(silent.headers["Location"])["error"] == "login_required"
    interactive = other.get(relying_party.start(id_token_hint=hint).url)
    assert urlsplit(interactive.headers["Location"]).path == "/connexion"


# -- claims and acr --


def test_claims_parameter_puts_requested_claims_in_the_id_token(member, browser, relying_party):
    signed_in(browser)
    claims_request = (
        '{"id_token": {"email": {"essential": true}, "member_number": null,'
        ' "acr": null}, "userinfo": {"given_name": null}}'
    )
    flow = relying_party.run(
        browser, relying_party.start(scope="openid email", claims=claims_request)
    )
    token = relying_party.exchange(flow)
    claims = relying_party.verify_id_token(token["id_token"], flow, token["access_token"])
    assert claims["email"] == "helene@example.fr"
    assert claims["acr"] == "pwd" and claims["amr"] == ["pwd"]  # password only
    # Asked for by name (OIDC Core 5.5): returned although the member scope was not asked,
    # because this first-party client may receive it; tests/oidc/test_claims_parameter.py
    # shows a client whose scopes forbid a claim never gets it.
    assert claims["member_number"] == "12345678"
    assert "given_name" not in claims  # asked for userinfo only


def test_acr_values_are_accepted_and_answered(member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(
        browser,
        relying_party.start(acr_values="pwd", display="page", ui_locales="en"),
    )
    token = relying_party.exchange(flow)
    claims = relying_party.verify_id_token(token["id_token"], flow, token["access_token"])
    assert claims["acr"] == "pwd"


def test_scopes_limit_userinfo_claims(member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start(scope="openid phone"))
    relying_party.exchange(flow)
    info = flow.session.get(relying_party.config["userinfo_endpoint"], timeout=10).json()
    assert info == {
        "sub": member["subject"],
        "phone_number": "+33612345678",
        "phone_number_verified": False,
    }


def test_client_limited_scopes_are_not_granted(
    member, browser, register_client, provider_url, clock
):
    from .conftest import RelyingParty

    client = register_client(scopes=["openid", "email"])
    rp = RelyingParty(provider_url, client, clock)
    signed_in(browser)
    flow = rp.run(browser, rp.start(scope="openid email member"))
    token = rp.exchange(flow)
    assert token["scope"] == "openid email"
    info = flow.session.get(rp.config["userinfo_endpoint"], timeout=10).json()
    assert "member_number" not in info


def test_disabled_member_session_must_sign_in_again(app, member, browser, rp_client):
    from idp_extension.db import db
    from idp_extension.models import Account, AccountStatus

    signed_in(browser)
    with app.app_context():
        db.session.get(Account, member["id"]).status = AccountStatus.DISABLED
        db.session.commit()
    reply = browser.get(authorize_url(rp_client, prompt="none"))
    assert query(reply.headers["Location"])["error"] == "login_required"


# -- conformance and attacker review --


@pytest.mark.parametrize(
    "uri",
    [
        RP_CALLBACK.replace("http://", "HTTP://"),
        RP_CALLBACK.replace("127.0.0.1", "127.0.0.1."),
        RP_CALLBACK.replace("/callback", "/Callback"),
        RP_CALLBACK + "#frag",
        RP_CALLBACK + "%23frag",
        RP_CALLBACK[:-1],
        RP_CALLBACK + "?",
        RP_CALLBACK.replace("127.0.0.1:9", "127.0.0.1:9@evil.example"),
        RP_CALLBACK.replace("http://127.0.0.1:9", "http://evil.example"),
        " " + RP_CALLBACK,
    ],
)
def test_redirect_uri_lookalikes_get_an_error_page(member, browser, rp_client, uri):
    signed_in(browser)
    reply = browser.get(authorize_url(rp_client, redirect_uri=uri))
    assert_error_page(reply)


def test_missing_redirect_uri_with_several_registered_is_an_error_page(
    member, browser, register_client
):
    client = register_client(redirect_uris=(RP_CALLBACK, "http://127.0.0.1:9/second"))
    signed_in(browser)
    reply = browser.get(authorize_url(client, redirect_uri=None))
    assert_error_page(reply)


def test_second_registered_redirect_uri_is_honoured_exactly(member, browser, register_client):
    second = "http://127.0.0.1:9/second?portal=1"
    client = register_client(redirect_uris=(RP_CALLBACK, second))
    signed_in(browser)
    reply = browser.get(authorize_url(client, redirect_uri=second))
    assert reply.headers["Location"].startswith(second + "&code=")


def test_max_age_zero_always_asks_to_sign_in_again(member, browser, relying_party, clock):
    """OIDC Core 3.1.2.1 (errata): max_age=0 is equivalent to prompt=login."""
    signed_in(browser)
    flow = relying_party.start(max_age="0")
    reply = browser.get(flow.url)  # same second as the sign-in: still too old
    assert urlsplit(reply.headers["Location"]).path == "/connexion"
    clock.advance(seconds=20)
    flow.callback = browser.follow(browser.login(), stop_at=relying_party.client.redirect_uri)
    token = relying_party.exchange(flow)
    claims = relying_party.verify_id_token(token["id_token"], flow, token["access_token"])
    assert claims["auth_time"] == int(clock.now().timestamp())


def test_prompt_none_with_max_age_zero_is_login_required(member, browser, rp_client):
    signed_in(browser)
    reply = browser.get(authorize_url(rp_client, prompt="none", max_age="0"))
    assert query(reply.headers["Location"])["error"] == "login_required"


@pytest.mark.parametrize("scope", ["", "profil", "offline_access"])
def test_a_request_granting_no_scope_is_invalid_scope(member, browser, rp_client, issuer, scope):
    signed_in(browser)
    reply = browser.get(authorize_url(rp_client, scope=scope))
    params = query(reply.headers["Location"])
    assert params["error"] == "invalid_scope"
    assert params["state"] == "st4te" and params["iss"] == issuer


def test_unknown_scopes_are_ignored(member, browser, relying_party):
    signed_in(browser)
    flow = relying_party.run(browser, relying_party.start(scope="openid address email"))
    assert relying_party.exchange(flow)["scope"] == "openid email"


@pytest.mark.parametrize("response_type", ["code id_token", "id_token", "code token", "none"])
def test_other_response_types_are_unsupported(member, browser, rp_client, issuer, response_type):
    signed_in(browser)
    reply = browser.get(authorize_url(rp_client, response_type=response_type))
    params = query(reply.headers["Location"])
    assert reply.headers["Location"].startswith(RP_CALLBACK + "?")
    assert params["error"] == "unsupported_response_type" and params["iss"] == issuer
    assert params["state"] == "st4te"


def test_state_and_nonce_come_back_exactly(member, browser, relying_party):
    signed_in(browser)
    odd = "a b+c/é%20&x=1;\"'<>"
    flow = relying_party.start(state=odd, nonce=odd + "n")
    flow.state = odd
    relying_party.run(browser, flow)
    assert flow.callback_params()["state"] == odd
    token = relying_party.exchange(flow)
    claims = relying_party.verify_id_token(token["id_token"], flow, token["access_token"])
    assert claims["nonce"] == odd + "n"


def test_error_page_does_not_reflect_markup(member, browser, rp_client):
    signed_in(browser)
    evil = "<script>alert(1)</script>"
    for reply in (
        browser.get(authorize_url(rp_client, client_id=evil)),
        browser.get(authorize_url(rp_client, redirect_uri="https://x/" + evil)),
        browser.get(
            "/authorize?" + urlencode({"client_id": rp_client.client_id, "redirect_uri": evil})
        ),
    ):
        assert_error_page(reply)
        assert "<script>alert" not in reply.text


def test_subject_is_the_same_for_every_client(
    member, browser, relying_party, register_client, provider_url, clock
):
    from .conftest import RelyingParty

    other = RelyingParty(provider_url, register_client(name="Autre portail"), clock)
    signed_in(browser)
    subjects = set()
    for rp in (relying_party, other):
        flow = rp.run(browser, rp.start())
        token = rp.exchange(flow)
        subjects.add(rp.verify_id_token(token["id_token"], flow, token["access_token"])["sub"])
        subjects.add(flow.session.get(rp.config["userinfo_endpoint"], timeout=10).json()["sub"])
    assert subjects == {member["subject"]}
    assert member["subject"] != "12345678"


def test_signing_in_as_someone_else_than_the_hint_is_login_required(
    app, member, browser, relying_party, issuer
):
    """OIDC Core 3.1.2.1: the End-User of the id_token_hint is not the one signed in."""
    signed_in(browser)
    hint = relying_party.exchange(relying_party.run(browser, relying_party.start()))["id_token"]
    make_account(app, email="zoe@example.fr", member_number="87654321")
    other = browser.__class__(browser.base)
    flow = relying_party.start(id_token_hint=hint)
    assert urlsplit(other.get(flow.url).headers["Location"]).path == "/connexion"
    location = other.follow(
        other.login("zoe@example.fr"), stop_at=relying_party.client.redirect_uri
    )
    params = query(location)
    assert params["error"] == "login_required" and "code" not in params
    assert params["state"] == flow.state and params["iss"] == issuer


@pytest.mark.parametrize(
    "change",
    [
        {"response_type": '"'},  # Authlib raised ValueError on both: a 500
        {"response_type": "é"},
        {"response_type": "code é"},
        {"claims": "[" * 1000 + "]" * 1000},  # RecursionError in the JSON parser: a 500
        {"claims": '{"id_token":' * 900 + "{}" + "}" * 900},
    ],
)
def test_input_that_broke_authlib_or_the_json_parser_is_invalid_request(
    member, browser, rp_client, change
):
    signed_in(browser)
    reply = browser.get(authorize_url(rp_client, **change))
    assert reply.status_code == 302, reply.text[:300]
    params = query(reply.headers["Location"])
    assert params["error"] == "invalid_request"
    assert params["state"] == "st4te"
