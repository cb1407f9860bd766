"""The provider answering real HTTP on 127.0.0.1 (a werkzeug server thread), for the tests whose
relying party or browser talks to it over the network. Import the fixtures into a conftest."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from .smtp import free_port


@pytest.fixture
def live_port():
    return free_port()


@pytest.fixture
def app_config(app_config, live_port):
    """The issuer is the live server's address, so tokens and links name it."""
    base = f"http://127.0.0.1:{live_port}"
    return {**app_config, "IDP_ISSUER": base, "SERVER_NAME": f"127.0.0.1:{live_port}"}


@pytest.fixture
def provider_url(app, live_port):
    """Start the server; yields the issuer URL (request lines logged by werkzeug)."""
    server = make_server("127.0.0.1", live_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app.config["IDP_ISSUER"]
    server.shutdown()
    thread.join(5)
    server.server_close()
