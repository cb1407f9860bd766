"""The provider over real HTTP (a werkzeug server thread) and a member's browser for it."""

from __future__ import annotations

import threading
from urllib.parse import urljoin

import pytest
import requests
from werkzeug.serving import make_server

from ..conftest import csrf_token
from ..smtp import free_port


@pytest.fixture
def live_port():
    return free_port()


@pytest.fixture
def app_config(app_config, live_port):
    base = f"http://127.0.0.1:{live_port}"
    return {**app_config, "IDP_ISSUER": base, "SERVER_NAME": f"127.0.0.1:{live_port}"}


@pytest.fixture
def live_url(app, live_port):
    """The provider answering real HTTP on 127.0.0.1 (request lines logged by werkzeug)."""
    server = make_server("127.0.0.1", live_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app.config["IDP_ISSUER"]
    server.shutdown()
    thread.join(5)
    server.server_close()


class HttpBrowser:
    """A member's browser over HTTP: keeps cookies, never follows redirects by itself."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def get(self, url, **kwargs):
        return self.http.get(urljoin(self.base, url), allow_redirects=False, timeout=10,
                             **kwargs)

    def submit(self, url, data, page=None):
        """Open the form's page, then post it with its CSRF token."""
        form = self.get(page or url)
        assert form.status_code == 200, (url, form.status_code)
        return self.http.post(urljoin(self.base, url), allow_redirects=False, timeout=10,
                              data={"csrf_token": csrf_token(form.text), **data})

    @property
    def cookies(self) -> list[str]:
        return [cookie.value for cookie in self.http.cookies]


@pytest.fixture
def http_browser(live_url):
    return HttpBrowser(live_url)
