"""Discovery and JWKS as relying parties and caches meet them: ETag, 304, Cache-Control, and a
key set that follows rotations, made here or by another instance on the same database."""

from __future__ import annotations

import pytest

from idp_extension import create_app
from idp_extension.db import db
from idp_extension.oidc import keys
from idp_extension.oidc.commands import rotate_keys_command
from idp_extension.oidc.published import JWKS_SERVER_CACHE_SECONDS

from ..conftest import both_databases
from ..sql_statements import counted_statements

DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/jwks.json"


def kids(response) -> set[str]:
    return {key["kid"] for key in response.get_json(force=True)["keys"]}


@pytest.mark.parametrize("path", [DISCOVERY, JWKS])
def test_a_client_holding_the_current_version_gets_304_without_body(client, path):
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert first.headers["Access-Control-Allow-Origin"] == "*"

    for presented in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get(path, headers={"If-None-Match": presented})
        assert again.status_code == 304, presented
        assert again.data == b""
        assert again.headers["ETag"] == etag
        assert again.headers["Cache-Control"] == "public, max-age=300"

    stale = client.get(path, headers={"If-None-Match": '"an-older-version"'})
    assert stale.status_code == 200 and stale.data == first.data


@both_databases
def test_repeated_answers_read_nothing_from_the_database(app, client):
    client.get(DISCOVERY), client.get(JWKS)
    with counted_statements(app) as statements:
        for _ in range(5):
            assert client.get(DISCOVERY).status_code == 200
            assert client.get(JWKS).status_code == 200
    assert statements == []


@pytest.mark.fresh_signing_keys
def test_a_rotation_here_is_published_at_once(app, client):
    before = client.get(JWKS)
    result = app.test_cli_runner().invoke(rotate_keys_command, [])
    assert result.exit_code == 0, result.output
    after = client.get(JWKS, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert kids(before) < kids(after) and len(kids(after)) == 2


@pytest.mark.fresh_signing_keys
def test_a_rotation_by_another_instance_is_published_within_the_cache_time(
    app, app_config, client, clock
):
    before = client.get(JWKS)
    other = create_app(app_config, clock=clock)  # a second server on the same database
    assert other.test_cli_runner().invoke(rotate_keys_command, []).exit_code == 0

    clock.advance(seconds=JWKS_SERVER_CACHE_SECONDS)
    after = client.get(JWKS)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert kids(before) < kids(after)
    with other.app_context():
        db.engine.dispose()


@pytest.mark.fresh_signing_keys
def test_a_retired_key_leaves_at_its_time_even_inside_the_cache_time(app, client, clock):
    client.get(JWKS)
    assert app.test_cli_runner().invoke(rotate_keys_command, []).exit_code == 0
    assert len(kids(client.get(JWKS))) == 2
    with app.app_context():  # the new key signs from then on: the old one is retired
        clock.advance(seconds=keys.publish_delay().total_seconds())
    # Read (and cached) a few seconds before the retired key's last ID token expires...
    clock.advance(seconds=app.config["IDP_ID_TOKEN_TTL"] - JWKS_SERVER_CACHE_SECONDS // 2)
    assert len(kids(client.get(JWKS))) == 2
    # ...the key still leaves on time, not when the cached copy would have gone stale.
    clock.advance(seconds=JWKS_SERVER_CACHE_SECONDS // 2)
    assert len(kids(client.get(JWKS))) == 1


def test_the_etag_names_the_bytes_so_every_instance_agrees(app, app_config, client, clock):
    other = create_app(app_config, clock=clock)
    for path in (DISCOVERY, JWKS):
        mine, theirs = client.get(path), other.test_client().get(path)
        assert mine.data == theirs.data
        assert mine.headers["ETag"] == theirs.headers["ETag"]
    with other.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", [DISCOVERY, JWKS])
def test_answers_after_the_first_carry_the_same_bytes_and_headers(client, path):
    first = client.get(path)  # the application answers; the server in front remembers it
    for _ in range(2):
        again = client.get(path)
        assert again.status_code == 200 and again.data == first.data
        assert sorted(again.headers.items()) == sorted(first.headers.items())
    assert first.headers["Content-Security-Policy"] and first.headers["X-Content-Type-Options"]
