"""Second-factor tests: the SMS gateway is a local HTTP server; everything else is real."""

import pytest

from ..sms_gateway import sms_gateway  # noqa: F401 - fixture


@pytest.fixture
def app_config(app_config, sms_gateway):
    return {
        **app_config,
        "IDP_SMS_GATEWAY_URL": sms_gateway.url,
        "IDP_SMS_GATEWAY_TOKEN": sms_gateway.token,
        "IDP_ORGANISATION_NAME": "Mutuelle Exemple",
    }
