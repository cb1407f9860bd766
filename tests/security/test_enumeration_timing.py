"""Forgotten password and new activation link over real HTTP/1.1 with keep-alive: the request's
connection does the same work for an address with an account as for an unknown one, before the
answer and after it (when the next request on that connection would wait), and sends no mail.
The worker does the rest. Work is counted in SQL statements and SMTP messages, which do not
depend on how busy the machine is (before the worker took it over: 10 statements and one SMTP
conversation for an address with an account, 1 statement for an unknown one)."""

from __future__ import annotations

import http.client
import re
import threading
from socketserver import ThreadingMixIn
from urllib.parse import urlencode
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy import event

from idp_extension.db import db
from idp_extension.models import AccountStatus

from ..account.helpers import make_account
from ..conftest import both_databases, deliver_mail
from ..live_server import app_config, live_port  # noqa: F401 - fixtures

KNOWN, NOBODY = "known@example.org", "nobod@example.org"


class _HTTP11Handler(ServerHandler):
    http_version = "1.1"


class KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, as gunicorn's gthread worker serves: one thread per connection
    runs its requests in turn, and what a response leaves to do once it is sent (its close)
    runs before the next request on that connection is read. (Werkzeug's development server
    closes every connection, which would hide exactly that.)"""

    protocol_version = "HTTP/1.1"

    def handle(self):
        self.close_connection = False
        while not self.close_connection:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or not self.parse_request():
                return
            handler = _HTTP11Handler(
                self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True
            )
            handler.request_handler = self
            handler.run(self.server.get_app())

    def log_message(self, *args):
        pass


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@pytest.fixture
def keep_alive_server(app, live_port):  # noqa: F811
    server = make_server(
        "127.0.0.1", live_port, app, server_class=ThreadingServer, handler_class=KeepAliveHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield live_port
    server.shutdown()
    thread.join(5)
    server.server_close()


class StatementCounter:
    def __init__(self, engine):
        self.count = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args):
        self.count += 1

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._seen)


class Browser:
    """One kept-alive HTTP/1.1 connection, with its cookies."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        assert not response.will_close, "the server closed the kept-alive connection"
        return response.status, text


@both_databases
@pytest.mark.parametrize("path", ["/mot-de-passe-oublie", "/activation/renvoyer"])
def test_the_requests_connection_does_the_same_work_for_every_address(
    app, clock, smtp, keep_alive_server, path
):
    make_account(app, clock, email=KNOWN)
    make_account(app, clock, email="pendg@example.org", status=AccountStatus.PENDING)
    address = {"/mot-de-passe-oublie": KNOWN, "/activation/renvoyer": "pendg@example.org"}[path]
    with app.app_context():
        engine = db.engine
    work = {}
    for email in (address, NOBODY, address, NOBODY):
        browser = Browser(keep_alive_server)
        status, page = browser.request("GET", path)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        counter = StatementCounter(engine)
        try:
            status, answer = browser.request("POST", path, {"csrf_token": token, "email": email})
            # The next request on the same connection: it would wait for any work left
            # behind by the previous response.
            next_status, _ = browser.request("GET", "/connexion")
        finally:
            counter.close()
        browser.connection.close()
        assert (status, next_status) == (200, 200)
        work.setdefault(email, set()).add((counter.count, len(smtp.messages)))
        masked = answer.replace(email, "EMAIL")
        work.setdefault("answers", set()).add(re.sub(r'value="[^"]+"', "", masked))

    # The same statements for both addresses, every time, and no mail from the connection.
    assert len(work.pop("answers")) == 1
    assert work[address] == work[NOBODY]
    assert {mails for _, mails in work[address]} == {0}

    deliver_mail(app)  # the worker: the address with an account gets its mail, twice asked
    assert {message["To"] for message in smtp.messages} == {address}
