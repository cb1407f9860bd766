"""The production shape, run: nginx ending TLS in front of two scripts/serve.sh instances on one
PostgreSQL database and one Redis, with the mail worker (issue 8). Over plain HTTP calls here;
the member's whole journey in Chromium is in test_member_journey_over_https.py."""

from __future__ import annotations

import socket
import time
import uuid

import requests

from ..conftest import csrf_token
from .nginx import UPSTREAM_HEADER
from .stack import Stack


def test_nginx_serves_the_certificate_and_only_https(stack: Stack):
    with (
        socket.create_connection(("127.0.0.1", stack.https_port), timeout=10) as raw,
        stack.tls_context().wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.getpeercert(binary_form=True) == stack.certificate.der
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    plain = requests.get(
        f"http://127.0.0.1:{stack.http_port}/connexion?lang=en", allow_redirects=False, timeout=10
    )
    assert plain.status_code == 301
    assert plain.headers["Location"].startswith("https://")


def test_consecutive_requests_reach_both_instances(stack: Stack, trusting_requests):
    answered = []
    for _ in range(4):
        response = requests.get(f"{stack.issuer}/connexion", timeout=10)
        assert response.status_code == 200
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        )
        answered.append(response.headers[UPSTREAM_HEADER])
    assert set(answered) == set(stack.instances)
    # Round robin: never the same instance twice in a row.
    assert all(a != b for a, b in zip(answered, answered[1:], strict=False))


def ask_for_a_reset_link(stack: Stack, origin: str):
    """The forgotten-password form, fetched then posted by one browser; (page, answer)."""
    browser = requests.Session()
    page = browser.get(f"{stack.issuer}/mot-de-passe-oublie", timeout=10)
    answer = browser.post(
        f"{stack.issuer}/mot-de-passe-oublie",
        data={"csrf_token": csrf_token(page.text), "email": "personne@example.org"},
        headers={"Origin": origin},
        timeout=10,
    )
    return page, answer


def test_a_form_from_one_instance_posts_to_the_other(stack: Stack, trusting_requests):
    """The session and its CSRF token are the same everywhere (one secret key, no local state)."""
    page, response = ask_for_a_reset_link(stack, stack.issuer)
    assert response.status_code == 200, response.text[:500]
    assert {page.headers[UPSTREAM_HEADER], response.headers[UPSTREAM_HEADER]} == set(
        stack.instances
    )
    cookie = response.headers.get("Set-Cookie") or page.headers["Set-Cookie"]
    assert "Secure" in cookie and "SameSite=Lax" in cookie


def test_a_post_from_another_site_is_refused(stack: Stack, trusting_requests):
    _, response = ask_for_a_reset_link(stack, "https://phishing.example")
    assert response.status_code == 403


def test_a_login_limit_is_counted_across_both_instances(stack: Stack, trusting_requests):
    """IDP_LOGIN_LIMIT_PER_IP is 5/hour here: five failures spread over both instances, then
    429, whatever X-Forwarded-For the client makes up (nginx appends the address it saw)."""
    browser = requests.Session()
    token = csrf_token(browser.get(f"{stack.issuer}/connexion", timeout=10).text)
    answers = []
    for attempt in range(6):
        response = browser.post(
            f"{stack.issuer}/connexion",
            data={
                "csrf_token": token,
                "email": f"{uuid.uuid4().hex[:10]}@example.org",
                "password": "Wrong#Pass1",
            },
            headers={"Origin": stack.issuer, "X-Forwarded-For": f"203.0.113.{attempt}"},
            timeout=10,
        )
        answers.append((response.status_code, response.headers[UPSTREAM_HEADER]))
    assert [status for status, _ in answers] == [422] * 5 + [429]
    assert {upstream for _, upstream in answers[:5]} == set(stack.instances)


def test_a_key_rotation_is_seen_by_both_instances(stack: Stack):
    before = _published_kids(stack, stack.instances[0])
    rotated = stack.flask_json("idp", "rotate-keys")
    new_kids = {key["kid"] for key in rotated["active"]}
    # Each instance re-reads the key set on its own schedule (at most every few seconds);
    # they are separate processes, so the test waits for them rather than moving a clock.
    deadline = time.monotonic() + 30
    while True:
        seen = {address: _published_kids(stack, address) for address in stack.instances}
        if all(new_kids <= kids for kids in seen.values()):
            break
        assert time.monotonic() < deadline, f"new keys {new_kids} not published by all: {seen}"
        time.sleep(0.5)
    for kids in seen.values():
        assert before <= kids, "a retired key must stay published until its tokens expire"


def _published_kids(stack: Stack, address: str) -> set[str]:
    answer = requests.get(f"http://{address}/jwks.json", timeout=10)
    assert answer.status_code == 200
    return {key["kid"] for key in answer.json()["keys"]}
