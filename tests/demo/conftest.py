"""The demo's tests run the provider in demo mode."""

import pytest


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_DEMO": True}
