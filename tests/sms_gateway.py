"""A local HTTP server standing for the insurer's SMS gateway (the one remote API that cannot
run here). It records each POST (the JSON body and the Authorization header) and can be
stopped and started again on the same port, as an outage would."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .smtp import free_port

CODE = re.compile(r"\b(\d{6})\b")


class SmsGateway:
    def __init__(self, token: str | None = "gateway-token-for-tests"):  # noqa: S107
        self.token = token
        self.port = free_port()
        self.received: list[dict] = []
        self.authorizations: list[str | None] = []
        # The HTTP status it answers (a 4xx or 5xx to play a refusal or an overloaded gateway).
        self.status = 202
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    def start(self) -> SmsGateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server hook's name
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                with gateway._lock:
                    gateway.received.append(body)
                    gateway.authorizations.append(self.headers.get("Authorization"))
                answer = b'{"status": "queued"}'
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """The gateway goes away: connections to its port are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def messages_to(self, phone: str) -> list[str]:
        with self._lock:
            return [item["text"] for item in self.received if item.get("to") == phone]

    def wait_for_code(self, phone: str, count: int = 1, timeout: float = 10.0) -> str:
        """The code of the ``count``-th SMS to ``phone`` (the send happens after a response,
        in the server's thread: this waits for that I/O, not for any expiry)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.messages_to(phone)
            if len(texts) >= count:
                return CODE.search(texts[count - 1]).group(1)
            time.sleep(0.02)
        raise AssertionError(f"no SMS number {count} reached {phone}: {self.received}")


@pytest.fixture
def sms_gateway():
    """The gateway, listening; import this fixture into a conftest or test module."""
    gateway = SmsGateway().start()
    yield gateway
    gateway.stop()
