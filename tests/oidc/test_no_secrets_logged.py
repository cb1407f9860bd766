"""No code, token or secret reaches the provider's logs, even at DEBUG level."""

from __future__ import annotations

import logging

from .conftest import signed_in


def test_codes_and_tokens_never_logged(member, browser, relying_party, caplog):
    with caplog.at_level(logging.DEBUG):
        signed_in(browser)
        flow = relying_party.run(browser, relying_party.start())
        token = relying_party.exchange(flow)
    secrets = [flow.callback_params()["code"], token["access_token"], token["refresh_token"],
               relying_party.client.client_secret, token["id_token"]]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/authorize" in logged  # the request lines were captured
    for secret in secrets:
        assert secret not in logged
