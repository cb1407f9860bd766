"""A nonce is the relying party's to check (OIDC Core 3.1.3.7): the provider returns it in the
ID token and never refuses a nonce because an earlier request, of another member, used it."""

from __future__ import annotations

from .conftest import Browser, make_account, signed_in


def test_a_nonce_used_earlier_by_another_member_is_not_refused(
    app, member, browser, relying_party, provider_url
):
    first = relying_party.run(signed_in(browser), relying_party.start(nonce="shared-nonce"))
    first_tokens = relying_party.exchange(first)

    make_account(app, email="zoe@example.fr", member_number="87654321", first_name="Zoé")
    other_browser = signed_in(Browser(provider_url), "zoe@example.fr")
    second = relying_party.run(other_browser, relying_party.start(nonce="shared-nonce"))
    assert "error" not in second.callback_params(), second.callback
    second_tokens = relying_party.exchange(second)

    claims = [
        relying_party.verify_id_token(tokens["id_token"], flow)
        for tokens, flow in ((first_tokens, first), (second_tokens, second))
    ]
    assert [claim["nonce"] for claim in claims] == ["shared-nonce", "shared-nonce"]
    assert claims[0]["sub"] != claims[1]["sub"]
