"""Fixtures of the account pages: a member with an active account."""

import pytest

from .helpers import make_account


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replace pytest-flask's fixture of that name, which keeps one request context pushed for
    the whole test: every request of every test client would then share one ``g`` and one
    database session, unlike a real server. Here each request gets its own, as in production
    (Flask-WTF caches the CSRF token in ``g``; two browsers must not share it)."""


@pytest.fixture
def client(app):
    """A browser. Unlike pytest-flask's ``client`` (opened ``with``, which keeps the last
    request's context pushed), requests leave nothing behind for another client to reuse."""
    return app.test_client()


@pytest.fixture
def member_account(app, clock):
    """The id of an active account: helene@example.org with helpers.PASSWORD."""
    return make_account(app, clock)


@pytest.fixture
def app_config(app_config, request):
    """The shared settings, plus what a test gives with
    ``@pytest.mark.parametrize("app_config", [{...}], indirect=True)``."""
    app_config.update(getattr(request, "param", {}))
    return app_config
