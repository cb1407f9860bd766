"""The demo mailbox shows members' activation links: only to this machine, only in a local demo."""

import pytest

from idp_extension import create_app
from idp_extension.config import ConfigurationError


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_DEMO": True}


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_mailbox_answers_this_machine(client, address):
    assert client.get("/demo/mailbox", environ_base={"REMOTE_ADDR": address}).status_code == 200


@pytest.mark.parametrize("address", ["203.0.113.7", "10.1.2.3", "2001:db8::1", "not-an-ip"])
def test_mailbox_is_not_found_from_elsewhere(client, address):
    response = client.get("/demo/mailbox", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 404
    assert (
        client.get("/demo/mailbox/1/contenu", environ_base={"REMOTE_ADDR": address}).status_code
        == 404
    )


@pytest.mark.parametrize("issuer", ["https://login.mutuelle.example", "http://192.0.2.10:5000"])
def test_demo_mode_refuses_a_public_issuer(app_config, issuer):
    with pytest.raises(ConfigurationError):
        create_app({**app_config, "IDP_ISSUER": issuer})
