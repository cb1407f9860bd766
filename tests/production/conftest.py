"""The production shape as a fixture: skipped, with the reason, where a part is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..databases import PostgresSchema, postgres_url
from ..security.test_ratelimit import REDIS_URL, redis_available
from . import nginx
from .stack import Stack, start_stack


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.production)


@pytest.fixture(scope="package")
def stack(tmp_path_factory, smtp_server):
    if not nginx.NGINX.is_file():
        pytest.skip(
            f"nginx not found at {nginx.NGINX}: run `bash scripts/setup.sh` as root "
            "(it installs Debian's nginx package)"
        )
    database = postgres_url()
    if database is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set IDP_TEST_DATABASE_URL)")
    if not redis_available():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    schema = PostgresSchema(database)
    url = schema.create()
    try:
        running = start_stack(
            tmp_path_factory.mktemp("production"),
            database_url=url,
            redis_url=REDIS_URL + "/0",
            smtp_port=smtp_server.port,
        )
        try:
            running.flask("idp", "import-members", "demo/sample-members.csv")
            yield running
        finally:
            running.stop()
    finally:
        schema.drop()


@pytest.fixture(scope="package")
def trusting_requests(stack):
    """Python's HTTP clients (the portal's, the tests') trust the test CA, like a member's
    machine trusts the insurer's real certificate authority."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REQUESTS_CA_BUNDLE", str(stack.certificate.ca_file))
        yield


@pytest.fixture(scope="package")
def portal(stack: Stack, trusting_requests):
    """The demo member portal, registered with `idp create-client` as an insurer would."""
    from examples.member_portal import create_portal

    from ..browser.harness import LiveServer

    server = LiveServer()
    client = stack.flask_json(
        "idp",
        "create-client",
        "Portail adhérent",
        "--redirect-uri",
        f"{server.url}/callback",
        "--post-logout-uri",
        f"{server.url}/",
        "--first-party",
    )
    server.serve(
        create_portal(
            {
                "PORTAL_ISSUER": stack.issuer,
                "PORTAL_BASE_URL": server.url,
                "PORTAL_CLIENT_ID": client["client_id"],
                "PORTAL_CLIENT_SECRET": client["client_secret"],
                "PORTAL_SECRET_KEY": os.urandom(32).hex(),
            }
        )
    )
    yield server
    server.stop()
