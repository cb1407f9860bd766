"""Fixtures of the account pages: a member with an active account."""

import pytest

from .helpers import make_account


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
