"""Discovery and JWKS as ready-made bytes with an ETag: the most requested answers cost nothing.

Relying parties fetch both often (some on every login). Each is serialised once, kept with
its strong ETag (a digest of the bytes, so every instance gives the same tag for the same
document) and answered 304 to an ``If-None-Match`` that names it (RFC 9110 13.1.2).

- Discovery depends on configuration only: built once per application.
- The signing key of each algorithm is kept the same way as the JWKS (``signer``), so a token
  request does not read the key set; a rotation made elsewhere is seen within the same time,
  and a rotated-in key starts signing exactly at its activation moment.
- JWKS depends on the key set in the database. Each instance keeps its serialised set for at
  most ``JWKS_SERVER_CACHE_SECONDS`` (by the application's clock), and no later than the moment a
  retired key leaves it. A rotation made by this instance clears it at once (``forget_jwks``);
  one made elsewhere is seen within that time. Key rotation publishes a new key before it signs
  (keys.py), and that delay must cover ``JWKS_SERVER_CACHE_SECONDS`` plus clients' ``max-age``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, Request, Response, current_app
from werkzeug.http import parse_etags

# How long an instance serves its serialised JWKS before reading the key set again.
JWKS_SERVER_CACHE_SECONDS = 10
# What relying parties and proxies may cache (RFC 9111 5.2.2.1).
JWKS_MAX_AGE = 300
CACHE_CONTROL = f"public, max-age={JWKS_MAX_AGE}"


@dataclass(frozen=True)
class Document:
    body: bytes
    tag: str  # the entity tag's opaque value, unquoted
    media_type: str
    fresh_until: datetime | None = None  # None: for the application's lifetime

    def is_fresh(self, now: datetime) -> bool:
        return self.fresh_until is None or now < self.fresh_until

    @classmethod
    def of(cls, data: dict, media_type: str, fresh_until: datetime | None = None) -> Document:
        body = json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return cls(body, hashlib.sha256(body).hexdigest()[:32], media_type, fresh_until)

    def response(self, request: Request) -> Response:
        """200 with the bytes, or 304 when the client already holds this version."""
        # The server in front (FastDocuments) may answer the next requests from these bytes.
        request.environ[PUBLISHED_MARK] = self
        # If-None-Match compares weakly (RFC 9110 13.1.2); "*" matches any version.
        if request.if_none_match.contains_weak(self.tag):
            response = Response(status=304)
        else:
            response = Response(self.body, mimetype=self.media_type)
        response.headers["ETag"] = f'"{self.tag}"'
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response


PUBLISHED_MARK = "idp.published_document"


class PublishedDocuments:
    """One application's cached discovery document and JWKS (``app.extensions``)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._discovery: Document | None = None
        self._jwks: Document | None = None
        self._signers: dict[str, tuple[object, datetime]] = {}

    def discovery(self, build) -> Document:
        if self._discovery is None:
            with self._lock:
                if self._discovery is None:
                    self._discovery = Document.of(build(), "application/json")
        return self._discovery

    def jwks(self, now: datetime, build) -> Document:
        """The JWKS document; ``build(now)`` returns ``(key set, moment it next changes)``."""
        cached = self._jwks
        if cached is not None and cached.is_fresh(now):
            return cached
        with self._lock:
            cached = self._jwks
            if cached is None or not cached.is_fresh(now):
                key_set, changes_at = build(now)
                fresh_until = now + timedelta(seconds=JWKS_SERVER_CACHE_SECONDS)
                if changes_at is not None:
                    fresh_until = min(fresh_until, changes_at)
                cached = self._jwks = Document.of(key_set, "application/jwk-set+json", fresh_until)
        return cached

    def signer(self, alg: str, now: datetime, choose):
        """The key signing ``alg``; ``choose(now)`` returns ``(key, moment the set next changes)``
        and is asked again after ``JWKS_SERVER_CACHE_SECONDS`` or at that moment."""
        cached = self._signers.get(alg)
        if cached is not None and now < cached[1]:
            return cached[0]
        with self._lock:
            cached = self._signers.get(alg)
            if cached is not None and now < cached[1]:
                return cached[0]
            key, changes_at = choose(now)
            fresh_until = now + timedelta(seconds=JWKS_SERVER_CACHE_SECONDS)
            if changes_at is not None:
                fresh_until = min(fresh_until, changes_at)
            self._signers[alg] = (key, fresh_until)
        return key

    def forget_jwks(self) -> None:
        self._jwks = None
        self._signers = {}

    def is_current(self, document: Document, now: datetime) -> bool:
        if document is self._discovery:
            return True
        return document is self._jwks and document.is_fresh(now)


# Headers that belong to one answer, never replayed.
_PER_RESPONSE = {"content-length", "date", "set-cookie", "etag"}


class FastDocuments:
    """WSGI middleware of the standalone server: GET discovery and JWKS answered from the
    cached bytes with the headers the application gave its last full answer for that address,
    without entering Flask (the request cost of these two answers is then the server's alone).

    It only replays: a document is served here once the application itself answered it, and
    only while it is the current version (a rotation on this instance, or the JWKS freshness
    running out, sends the next request through the application again). The replayed headers
    are kept per scheme, mount point and path, so what the application's hooks add (security
    headers, HSTS) is exactly what is sent.
    """

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app
        self._replays: dict[tuple, tuple[Document, list[tuple[str, str]]]] = {}

    def _key(self, environ) -> tuple:
        return (
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_X_FORWARDED_PROTO"),
            environ.get("HTTP_HOST"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
        )

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        key = self._key(environ)
        replay = self._replays.get(key)
        if replay is not None:
            document, headers = replay
            now = self.app.extensions["idp"].clock.now()
            if published(self.app).is_current(document, now):
                return self._answer(environ, start_response, document, headers)
        return self.wsgi_app(environ, self._recording(environ, key, start_response))

    def _recording(self, environ, key, start_response):
        def recording_start_response(status, headers, exc_info=None):
            document = environ.get(PUBLISHED_MARK)
            names = {name.lower() for name, _ in headers}
            if document is not None and status.startswith("200") and "set-cookie" not in names:
                kept = [(n, v) for n, v in headers if n.lower() not in _PER_RESPONSE]
                self._replays[key] = (document, kept)
            return start_response(status, headers, exc_info)

        return recording_start_response

    @staticmethod
    def _answer(environ, start_response, document: Document, headers):
        etag = ("ETag", f'"{document.tag}"')
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(document.tag):
            kept = [(n, v) for n, v in headers if n.lower() != "content-type"]
            start_response("304 NOT MODIFIED", [*kept, etag])
            return [b""]
        length = ("Content-Length", str(len(document.body)))
        start_response("200 OK", [*headers, etag, length])
        return [document.body]


def init_app(app: Flask) -> None:
    app.extensions["idp"].published = PublishedDocuments()


def published(app: Flask | None = None) -> PublishedDocuments:
    return (app or current_app).extensions["idp"].published


def forget_jwks() -> None:
    """Called after this instance changed the key set: the next JWKS request reads it again."""
    documents = current_app.extensions["idp"].published
    if documents is not None:
        documents.forget_jwks()
