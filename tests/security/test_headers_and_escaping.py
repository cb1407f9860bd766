"""Hostile text shown back (register names, typed emails, query parameters) stays text, and
every answer, error pages and redirects included, carries the security headers."""

from __future__ import annotations

import pytest

from idp_extension.db import db
from idp_extension.mail import messages
from idp_extension.models import Account

from ..account.helpers import PASSWORD, finished, login, make_account, post_form
from ..conftest import csrf_token
from ..mailparse import html_part, text_part

SCRIPT = "<script>alert(1)</script>"
FIRST = '"><img src=x onerror=alert(2)>'


def assert_escaped(html: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;img src=x" in html


@pytest.fixture
def hostile(app, clock):
    """An account whose register names are markup, as a careless import could leave them."""
    return make_account(app, clock, first_name=FIRST, last_name=SCRIPT)


def test_register_names_are_text_on_the_member_and_admin_pages(app, client, clock, hostile):
    login(client, "helene@example.org", PASSWORD)
    assert_escaped(client.get("/").get_data(as_text=True))

    make_account(app, clock, email="admin@mutuelle.test", is_admin=True)
    admin = app.test_client()
    login(admin, "admin@mutuelle.test", PASSWORD)
    accounts = admin.get("/admin/comptes")
    assert_escaped(accounts.get_data(as_text=True))
    # The flash message naming the account, and the audit log.
    detail = admin.get(f"/admin/comptes/{hostile}")
    assert_escaped(detail.get_data(as_text=True))
    html = detail.get_data(as_text=True)
    finished(
        admin.post(f"/admin/comptes/{hostile}/desactiver", data={"csrf_token": csrf_token(html)})
    )
    assert "<script>" not in admin.get("/admin/comptes").get_data(as_text=True)
    assert "<script>" not in admin.get("/admin/journal").get_data(as_text=True)
    searched = admin.get("/admin/comptes", query_string={"q": SCRIPT})
    assert SCRIPT not in searched.get_data(as_text=True)


def test_register_names_are_text_in_the_html_mail(app, smtp, hostile):
    with app.app_context():
        account = db.session.get(Account, hostile)
        messages.activation(account, "http://localhost/activation/x", valid_hours=24)
        messages.password_reset(account, "http://localhost/mot-de-passe-oublie/x", valid_minutes=60)
        db.session.commit()
        from idp_extension.mail import outbox

        assert outbox.deliver_due()["sent"] == 2
    for message in smtp.messages:
        assert_escaped(html_part(message))
        assert FIRST in text_part(message)  # the text part shows the name as it is
        assert "\n" not in message["Subject"]


@pytest.mark.parametrize(
    "url",
    [
        "/connexion?login_hint=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
        "/mot-de-passe-oublie?email=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
        "/connexion?next=javascript:alert(1)",
    ],
)
def test_query_parameters_are_text(client, url):
    html = client.get(url).get_data(as_text=True)
    assert "<script>alert" not in html and "javascript:" not in html


def test_a_typed_email_is_text_on_the_answer_page(client):
    email = "a<script>alert(1)</script>@example.org"
    response = post_form(client, "/mot-de-passe-oublie", {"email": email})
    assert "<script>alert" not in response.get_data(as_text=True)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_RATELIMIT_ENABLED": True, "IDP_LOGIN_LIMIT_PER_IP": "2/minute"}


def every_kind_of_answer(client):
    yield client.get("/connexion")  # 200
    yield client.get("/")  # redirect
    yield client.get("/nulle-part")  # 404
    yield client.delete("/connexion")  # 405
    yield client.post("/connexion", data={"email": "a@b.fr"})  # CSRF: 400
    yield client.post("/inscription", data={"x": "A" * 300_000})  # 413
    yield client.get("/activation/inconnu")  # 404 page of the journey
    yield client.get("/assets/css/site.css")
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    for _ in range(3):
        last = client.post(
            "/connexion", data={"email": "a@b.fr", "password": "x", "csrf_token": token}
        )
    yield last  # 429


def test_security_headers_on_every_kind_of_answer(client):
    statuses, policies = [], []
    for response in every_kind_of_answer(client):
        statuses.append(response.status_code)
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        policies.append(headers["Referrer-Policy"])
        response.close()
    assert statuses == [200, 302, 404, 405, 400, 413, 404, 200, 429]
    # A page whose address carries a token, or matches no page, names itself to nobody; the
    # others only to this site (so our forms' posts carry an Origin the CSRF check compares).
    assert policies == [
        "same-origin",
        "same-origin",
        "no-referrer",
        "no-referrer",
        "same-origin",
        "same-origin",
        "no-referrer",
        "no-referrer",
        "same-origin",
    ]


def test_session_cookie_flags(client, app, clock):
    make_account(app, clock)
    page = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": "helene@example.org",
            "password": PASSWORD,
        },
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("idp_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
