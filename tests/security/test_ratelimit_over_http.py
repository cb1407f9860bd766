"""Rate limits over real HTTP with Redis shared by two app servers: a flood spread over both
is still counted once, and the member reads a 429 page that says what to do."""

from __future__ import annotations

import re
import threading
import uuid
from contextlib import contextmanager

import pytest
import requests
from werkzeug.serving import make_server

from idp_extension import create_app

from ..conftest import csrf_token
from ..smtp import free_port
from .test_ratelimit import REDIS_URL, redis_available

pytestmark = pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")


@contextmanager
def served(app):
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def app_server(app_config, prefix: str, **limits):
    config = {
        **app_config,
        "SERVER_NAME": None,
        "IDP_RATELIMIT_ENABLED": True,
        "IDP_RATELIMIT_STORAGE_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        **limits,
    }
    return create_app(config)


def try_login(base: str, email: str):
    browser = requests.Session()
    page = browser.get(f"{base}/connexion", timeout=10)
    return browser.post(
        f"{base}/connexion",
        timeout=10,
        allow_redirects=False,
        data={"csrf_token": csrf_token(page.text), "email": email, "password": "Wrong#Pass1"},
    )


def test_one_address_flooded_across_two_servers_is_limited(app, app_config):
    prefix = uuid.uuid4().hex
    email = f"{uuid.uuid4().hex[:12]}@example.org"
    first = app_server(app_config, prefix, IDP_LOGIN_LIMIT_PER_EMAIL="3/hour")
    second = app_server(app_config, prefix, IDP_LOGIN_LIMIT_PER_EMAIL="3/hour")
    with served(first) as one, served(second) as two:
        answers = [try_login(base, email).status_code for base in (one, two, one)]
        assert answers == [422, 422, 422]
        limited = try_login(two, email)
    assert limited.status_code == 429
    assert re.search(r"Trop de tentatives\. Merci de réessayer dans \d+ minutes?\.", limited.text)
    assert int(limited.headers["Retry-After"]) > 0
    assert "frame-ancestors 'none'" in limited.headers["Content-Security-Policy"]


def test_one_ip_flooding_two_servers_is_limited(app, app_config):
    prefix = uuid.uuid4().hex
    first = app_server(app_config, prefix, IDP_LOGIN_LIMIT_PER_IP="3/minute")
    second = app_server(app_config, prefix, IDP_LOGIN_LIMIT_PER_IP="3/minute")
    with served(first) as one, served(second) as two:
        answers = [
            try_login(base, f"{uuid.uuid4().hex[:12]}@example.org").status_code
            for base in (one, two, one, two)
        ]
    assert answers == [422, 422, 422, 429]
