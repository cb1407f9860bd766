"""CSRF over HTTPS behind a proxy (issue: every form POST answered 400 there).

Browsers send no Referer from our pages, so Flask-WTF's "SSL strict" Referer check refused every
HTTPS POST. The protection is now the token, SameSite=Lax cookies and the browser's own word on
where a request comes from (Origin, Sec-Fetch-Site).
"""

from __future__ import annotations

import pytest

from ..account.helpers import PASSWORD, make_account
from ..conftest import csrf_token

ISSUER = "https://login.mutuelle.example"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_ISSUER": ISSUER, "SERVER_NAME": "login.mutuelle.example"}


def login(client, *, base_url=ISSUER, password=PASSWORD, headers=None, token=None):
    page = client.get("/connexion", base_url=base_url)
    return client.post(
        "/connexion",
        base_url=base_url,
        headers=headers or {},
        data={
            "csrf_token": token if token is not None else csrf_token(page.get_data(as_text=True)),
            "email": "helene@example.org",
            "password": password,
        },
    )


def test_https_login_without_referer_signs_in(client, app, clock):
    make_account(app, clock)
    response = login(client, headers={"Origin": ISSUER, "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert client.get("/", base_url=ISSUER).status_code == 200


@pytest.mark.parametrize(
    "app_config", [{"IDP_PROXY_FIX": 1, "SERVER_NAME": None}], indirect=["app_config"]
)
def test_behind_a_tls_proxy_the_forms_work(client, app, clock):
    """The proxy speaks plain HTTP to the app and says the public scheme was https."""
    make_account(app, clock)
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    page = client.get("/connexion", base_url="http://10.0.0.5:8000", headers=proxied)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    response = client.post(
        "/connexion",
        base_url="http://10.0.0.5:8000",
        headers={**proxied, "Origin": ISSUER},
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": "helene@example.org",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302


def test_a_wrong_password_is_a_form_error_not_a_csrf_refusal(client, app, clock):
    make_account(app, clock)
    response = login(client, password="Wrong#Pass1", headers={"Origin": ISSUER})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://login.mutuelle.example.evil.example"},
        {"Origin": "http://login.mutuelle.example"},  # same host, plain http
        {"Origin": "https://login.mutuelle.example:8443"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling sub-domain also gets SameSite=Lax cookies
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_post_from_another_site_is_refused_even_with_a_valid_token(client, app, clock, headers):
    make_account(app, clock)
    response = login(client, headers=headers)
    assert response.status_code == 403
    assert client.get("/", base_url=ISSUER).status_code == 302  # not signed in


@pytest.mark.parametrize(
    "headers",
    [
        {},  # a client that sends neither header: the token decides
        {"Origin": ISSUER, "Sec-Fetch-Site": "same-origin"},
        {"Origin": "HTTPS://LOGIN.MUTUELLE.EXAMPLE:443"},
        # A form on a page under Referrer-Policy: no-referrer (the activation and reset pages)
        # is posted with Origin: null; Fetch Metadata still says it is ours.
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    ],
)
def test_own_posts_are_accepted(client, app, clock, headers):
    make_account(app, clock)
    assert login(client, headers=headers).status_code == 302


def test_the_right_origin_does_not_replace_the_token(client, app, clock):
    make_account(app, clock)
    response = login(client, token="forged", headers={"Origin": ISSUER})
    assert response.status_code == 400
    assert client.get("/", base_url=ISSUER).status_code == 302


def test_relying_parties_still_post_to_the_token_endpoint_from_their_site(client):
    """The token, revocation and introspection endpoints are exempt: no form of ours posts
    there, and a relying party's browser code (a public client) has its own Origin."""
    response = client.post(
        "/token",
        base_url=ISSUER,
        headers={"Origin": "https://portail.example", "Sec-Fetch-Site": "cross-site"},
        data={"grant_type": "authorization_code", "code": "x", "client_id": "nobody"},
    )
    assert response.status_code in (400, 401)
    assert response.is_json


def test_token_pages_name_themselves_to_nobody(client):
    assert client.get("/activation/abc", base_url=ISSUER).headers["Referrer-Policy"] == (
        "no-referrer"
    )
    assert client.get("/connexion", base_url=ISSUER).headers["Referrer-Policy"] == "same-origin"


def test_a_refused_post_logs_no_token(client, caplog):
    token = "Zq9" + "x" * 40
    page = client.get("/connexion", base_url=ISSUER)
    with caplog.at_level("WARNING"):
        response = client.post(
            f"/activation/{token}",
            base_url=ISSUER,
            headers={"Origin": "https://evil.example"},
            data={"csrf_token": csrf_token(page.get_data(as_text=True)), "password": "x"},
        )
    assert response.status_code == 403
    assert "refused a cross-site POST to enrollment." in caplog.text
    assert token not in caplog.text
