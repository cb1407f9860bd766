"""The provider over real HTTP (a werkzeug server thread) and a member's browser for it."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
import requests

from ..conftest import csrf_token
from ..live_server import app_config, live_port, provider_url  # noqa: F401 - fixtures


@pytest.fixture
def live_url(provider_url):
    return provider_url


class HttpBrowser:
    """A member's browser over HTTP: keeps cookies, never follows redirects by itself."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def get(self, url, **kwargs):
        return self.http.get(urljoin(self.base, url), allow_redirects=False, timeout=10, **kwargs)

    def submit(self, url, data, page=None):
        """Open the form's page, then post it with its CSRF token."""
        form = self.get(page or url)
        assert form.status_code == 200, (url, form.status_code)
        return self.http.post(
            urljoin(self.base, url),
            allow_redirects=False,
            timeout=10,
            data={"csrf_token": csrf_token(form.text), **data},
        )

    @property
    def cookies(self) -> list[str]:
        return [cookie.value for cookie in self.http.cookies]


@pytest.fixture
def http_browser(live_url):
    return HttpBrowser(live_url)
