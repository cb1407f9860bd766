"""Key rotation that relying parties survive: the next key is in the JWKS for longer than any
cached copy (the server's own, the relying parties' max-age, a margin) before it signs; the
state is in the database, so another instance agrees; an emergency rotation signs at once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from joserfc import jwt

from idp_extension import create_app
from idp_extension.db import db
from idp_extension.oidc import keys
from idp_extension.oidc.commands import rotate_keys_command
from idp_extension.oidc.published import JWKS_MAX_AGE, JWKS_SERVER_CACHE_SECONDS

from .conftest import signed_in

# A new deployment's first key is made on demand, then rotated: not the run's shared key.
pytestmark = pytest.mark.fresh_signing_keys


def kid_of(id_token: str, relying_party) -> str:
    return jwt.decode(id_token, relying_party.jwks()).header["kid"]


def new_id_token(relying_party, browser) -> str:
    return relying_party.exchange(relying_party.run(browser, relying_party.start()))["id_token"]


def test_the_next_key_is_published_first_and_signs_only_after_every_cache(
    app, app_config, member, browser, relying_party, clock
):
    signed_in(browser)
    old_kid = kid_of(new_id_token(relying_party, browser), relying_party)

    result = app.test_cli_runner().invoke(rotate_keys_command, ["--json"])
    assert result.exit_code == 0, result.output
    rotated = json.loads(result.output)
    new_kid = rotated["active"][0]["kid"]
    delay = JWKS_SERVER_CACHE_SECONDS + JWKS_MAX_AGE + app.config["IDP_KEY_PUBLISH_MARGIN_SECONDS"]
    assert rotated["signs_from"] == (clock.now() + timedelta(seconds=delay)).isoformat()

    # Published at once: a relying party fetching the JWKS now caches the next key too...
    assert {key.kid for key in relying_party.jwks().keys} == {old_kid, new_kid}
    # ...while ID tokens are still signed with the key every cached JWKS has.
    clock.advance(seconds=JWKS_MAX_AGE + JWKS_SERVER_CACHE_SECONDS)
    assert kid_of(new_id_token(relying_party, browser), relying_party) == old_kid
    other = create_app(app_config, clock=clock)  # a second instance on the same database
    with other.app_context():
        assert keys.active_key().kid == old_kid
        states = {state.key.kid: state.state for state in keys.key_states(clock.now())}
        assert states == {old_kid: keys.ACTIVE, new_kid: keys.PUBLISHED}

    # Once every cache has it, the new key signs, and the old one stays published until the
    # ID tokens it signed have expired.
    clock.advance(seconds=app.config["IDP_KEY_PUBLISH_MARGIN_SECONDS"])
    assert kid_of(new_id_token(relying_party, browser), relying_party) == new_kid
    with other.app_context():
        assert keys.active_key().kid == new_kid
        states = {state.key.kid: state.state for state in keys.key_states(clock.now())}
        assert states == {old_kid: keys.RETIRED, new_kid: keys.ACTIVE}
        db.engine.dispose()
    assert {key.kid for key in relying_party.jwks().keys} == {old_kid, new_kid}
    clock.advance(seconds=app.config["IDP_ID_TOKEN_TTL"] + 1)
    assert {key.kid for key in relying_party.jwks().keys} == {new_kid}


def test_an_emergency_rotation_signs_at_once_and_says_what_it_costs(
    app, member, browser, relying_party
):
    signed_in(browser)
    old_kid = kid_of(new_id_token(relying_party, browser), relying_party)
    result = app.test_cli_runner().invoke(rotate_keys_command, ["--emergency"])
    assert result.exit_code == 0, result.output
    assert "reject new ID tokens until they fetch it again" in result.output
    new_kid = kid_of(new_id_token(relying_party, browser), relying_party)
    assert new_kid != old_kid
    # The compromised key is withdrawn: tokens it signed no longer verify.
    assert {key.kid for key in relying_party.jwks().keys} == {new_kid}


def test_the_console_shows_each_keys_state(app, clock):
    with app.app_context():
        first = keys.active_key()
        created, _ = keys.rotate_keys()
        states = {state.key.kid: state.state for state in keys.key_states(clock.now())}
        assert states == {first.kid: keys.ACTIVE, created[0].kid: keys.PUBLISHED}
