"""RP-Initiated Logout 1.0 (OpenID Config OP: oidcc-rp-initiated-logout-*)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jwt

from idp_extension.oidc import keys

from ..conftest import csrf_token
from .conftest import RP_LOGOUT, signed_in


@pytest.fixture
def id_token(member, browser, relying_party):
    signed_in(browser)
    return relying_party.exchange(relying_party.run(browser, relying_party.start()))["id_token"]


def still_signed_in(browser, rp_client) -> bool:
    reply = browser.get(
        "/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": rp_client.client_id,
                "redirect_uri": rp_client.redirect_uri,
                "scope": "openid",
                "prompt": "none",
            }
        )
    )
    return "code" in parse_qs(urlsplit(reply.headers["Location"]).query)


def test_logout_with_id_token_hint_redirects_with_state(browser, rp_client, id_token):
    assert still_signed_in(browser, rp_client)
    reply = browser.get(
        "/logout?"
        + urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": RP_LOGOUT,
                "state": "bye",
                "client_id": rp_client.client_id,
            }
        )
    )
    assert reply.status_code == 302
    assert reply.headers["Location"] == RP_LOGOUT + "?state=bye"
    assert not still_signed_in(browser, rp_client)


def test_logout_by_form_post_from_the_rp(browser, rp_client, id_token):
    reply = browser.post(
        "/logout", data={"id_token_hint": id_token, "post_logout_redirect_uri": RP_LOGOUT}
    )
    assert reply.status_code == 302 and reply.headers["Location"] == RP_LOGOUT
    assert not still_signed_in(browser, rp_client)


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:9/elsewhere", RP_LOGOUT + "/", "https://evil.example/"]
)
def test_unregistered_post_logout_uri_is_never_followed(browser, rp_client, id_token, uri):
    reply = browser.get(
        "/logout?" + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": uri})
    )
    assert reply.status_code == 200
    assert "Location" not in reply.headers
    assert "Votre session est fermée" in reply.text
    assert not still_signed_in(browser, rp_client)


def test_logout_without_hint_asks_for_confirmation(member, browser, rp_client):
    signed_in(browser)
    page = browser.get(
        "/logout?"
        + urlencode(
            {"client_id": rp_client.client_id, "post_logout_redirect_uri": RP_LOGOUT, "state": "s1"}
        )
    )
    assert page.status_code == 200
    assert "Se déconnecter" in page.text
    assert still_signed_in(browser, rp_client)
    # Without our CSRF token the confirmation is refused.
    forged = browser.post("/logout/confirm", data={"client_id": rp_client.client_id})
    assert forged.status_code == 400
    assert still_signed_in(browser, rp_client)
    confirmed = browser.post(
        "/logout/confirm",
        data={
            "csrf_token": csrf_token(page.text),
            "client_id": rp_client.client_id,
            "post_logout_redirect_uri": RP_LOGOUT,
            "state": "s1",
        },
    )
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == RP_LOGOUT + "?state=s1"
    assert not still_signed_in(browser, rp_client)


@pytest.mark.parametrize(
    "params",
    [
        {"id_token_hint": "garbage"},
        {"id_token_hint": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."},
    ],
)
def test_invalid_id_token_hint_is_an_error_page(member, browser, rp_client, params):
    signed_in(browser)
    reply = browser.get("/logout?" + urlencode({**params, "post_logout_redirect_uri": RP_LOGOUT}))
    assert reply.status_code == 400 and "Location" not in reply.headers
    assert still_signed_in(browser, rp_client)


def test_hint_of_another_issuer_signed_with_our_key_is_refused(
    app, browser, rp_client, relying_party, id_token
):
    # Another issuer on the same keys (the provider mounted twice on one database): its ID
    # tokens verify, but RP-Initiated Logout 2 wants the hint to be *this* issuer's.
    claims = dict(jwt.decode(id_token, relying_party.jwks()).claims)
    with app.app_context():
        key = keys.active_key()
        foreign = jwt.encode(
            {"alg": key.alg, "kid": key.kid},
            {**claims, "iss": "https://other-issuer.example"},
            keys.private_key(key),
        )
    reply = browser.get(
        "/logout?" + urlencode({"id_token_hint": foreign, "post_logout_redirect_uri": RP_LOGOUT})
    )
    assert reply.status_code == 400 and "Location" not in reply.headers
    assert still_signed_in(browser, rp_client)
    # The same request with this issuer's own hint is followed.
    reply = browser.get(
        "/logout?" + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": RP_LOGOUT})
    )
    assert reply.status_code == 302 and reply.headers["Location"] == RP_LOGOUT


def test_client_id_must_match_the_hint_audience(browser, rp_client, id_token, register_client):
    other = register_client(name="Autre")
    reply = browser.get(
        "/logout?"
        + urlencode(
            {
                "id_token_hint": id_token,
                "client_id": other.client_id,
                "post_logout_redirect_uri": RP_LOGOUT,
            }
        )
    )
    assert reply.status_code == 400 and "Location" not in reply.headers


def test_expired_id_token_hint_is_still_accepted(browser, rp_client, id_token, clock):
    clock.advance(hours=3)
    reply = browser.get(
        "/logout?" + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": RP_LOGOUT})
    )
    assert reply.status_code == 302 and reply.headers["Location"] == RP_LOGOUT


def test_another_clients_post_logout_uri_is_never_followed(
    browser, rp_client, id_token, register_client
):
    """The URI must be registered for the client of the hint, not for any client."""
    other_uri = "http://127.0.0.1:9/other-portal/bye"
    register_client(name="Autre", post_logout_uris=(other_uri,))
    reply = browser.get(
        "/logout?"
        + urlencode(
            {"id_token_hint": id_token, "post_logout_redirect_uri": other_uri, "state": "s"}
        )
    )
    assert reply.status_code == 200 and "Location" not in reply.headers
    assert not still_signed_in(browser, rp_client)


def test_client_id_alone_cannot_borrow_another_clients_uri(
    member, browser, rp_client, register_client
):
    other_uri = "http://127.0.0.1:9/other-portal/bye"
    register_client(name="Autre", post_logout_uris=(other_uri,))
    signed_in(browser)
    page = browser.get(
        "/logout?"
        + urlencode({"client_id": rp_client.client_id, "post_logout_redirect_uri": other_uri})
    )
    confirmed = browser.post(
        "/logout/confirm",
        data={
            "csrf_token": csrf_token(page.text),
            "client_id": rp_client.client_id,
            "post_logout_redirect_uri": other_uri,
        },
    )
    assert confirmed.status_code == 200 and "Location" not in confirmed.headers
    assert not still_signed_in(browser, rp_client)


def test_hint_of_another_member_asks_for_confirmation(app, browser, relying_party, id_token):
    from .conftest import make_account

    make_account(app, email="zoe@example.fr", member_number="87654321")
    other = browser.__class__(browser.base)
    signed_in(other, "zoe@example.fr")
    page = other.get(
        "/logout?" + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": RP_LOGOUT})
    )
    assert page.status_code == 200 and "Location" not in page.headers
    assert "Se déconnecter" in page.text
    assert still_signed_in(other, relying_party.client)


def test_logout_pages_cannot_be_framed(member, browser, rp_client):
    signed_in(browser)
    page = browser.get("/logout?" + urlencode({"client_id": rp_client.client_id}))
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
