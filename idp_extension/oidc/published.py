"""Discovery and JWKS as ready-made bytes with an ETag: the most requested answers cost nothing.

Relying parties fetch both often (some on every login). Each is serialised once, kept with
its strong ETag (a digest of the bytes, so every instance gives the same tag for the same
document) and answered 304 to an ``If-None-Match`` that names it (RFC 9110 13.1.2).

- Discovery depends on configuration only: built once per application.
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

# How long an instance serves its serialised JWKS before reading the key set again.
JWKS_SERVER_CACHE_SECONDS = 10
# What relying parties and proxies may cache (RFC 9111 5.2.2.1).
CACHE_CONTROL = "public, max-age=300"


@dataclass(frozen=True)
class Document:
    body: bytes
    tag: str  # the entity tag's opaque value, unquoted
    media_type: str
    fresh_until: datetime | None = None  # None: for the application's lifetime

    @classmethod
    def of(cls, data: dict, media_type: str, fresh_until: datetime | None = None) -> Document:
        body = json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return cls(body, hashlib.sha256(body).hexdigest()[:32], media_type, fresh_until)

    def response(self, request: Request) -> Response:
        """200 with the bytes, or 304 when the client already holds this version."""
        # If-None-Match compares weakly (RFC 9110 13.1.2); "*" matches any version.
        if request.if_none_match.contains_weak(self.tag):
            response = Response(status=304)
        else:
            response = Response(self.body, mimetype=self.media_type)
        response.headers["ETag"] = f'"{self.tag}"'
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response


class PublishedDocuments:
    """One application's cached discovery document and JWKS (``app.extensions``)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._discovery: Document | None = None
        self._jwks: Document | None = None

    def discovery(self, build) -> Document:
        if self._discovery is None:
            with self._lock:
                if self._discovery is None:
                    self._discovery = Document.of(build(), "application/json")
        return self._discovery

    def jwks(self, now: datetime, build) -> Document:
        """The JWKS document; ``build(now)`` returns ``(key set, moment it next changes)``."""
        cached = self._jwks
        if cached is not None and now < cached.fresh_until:
            return cached
        with self._lock:
            cached = self._jwks
            if cached is None or now >= cached.fresh_until:
                key_set, changes_at = build(now)
                fresh_until = now + timedelta(seconds=JWKS_SERVER_CACHE_SECONDS)
                if changes_at is not None:
                    fresh_until = min(fresh_until, changes_at)
                cached = self._jwks = Document.of(key_set, "application/jwk-set+json", fresh_until)
        return cached

    def forget_jwks(self) -> None:
        self._jwks = None


def init_app(app: Flask) -> None:
    app.extensions["idp_published"] = PublishedDocuments()


def published(app: Flask | None = None) -> PublishedDocuments:
    return (app or current_app).extensions["idp_published"]


def forget_jwks() -> None:
    """Called after this instance changed the key set: the next JWKS request reads it again."""
    documents = current_app.extensions.get("idp_published")
    if documents is not None:
        documents.forget_jwks()
