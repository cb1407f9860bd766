"""ID token signing keys: creation on first need, rotation, and the published JWKS.

Each key is, at a given moment of the app's clock (``key_states``):

- **published**: rotated in, in the JWKS but not signing yet. A rotation publishes the next key
  first and lets it sign only at ``activates_at``, once every cached JWKS has it: the server's
  own cache (``JWKS_SERVER_CACHE_SECONDS``), the relying parties' ``max-age`` and a margin
  (``IDP_KEY_PUBLISH_MARGIN_SECONDS``). Signing with a key a relying party has not fetched yet
  made it reject every new ID token until its cached set expired.
- **active**: the newest key of its algorithm whose time has come; it signs.
- **retired**: replaced by a newer active key (or by an emergency rotation); it stays in the
  JWKS until every ID token it signed has expired (``IDP_ID_TOKEN_TTL``), so relying parties
  never meet an unknown ``kid``; a *withdrawn* key (emergency) leaves the JWKS at once.

All of it is computed from the rows and the clock, so every instance agrees without any
instance having to write the change.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeyParameters, KeySet, KeySetSerialization, RSAKey

from .. import clock, urls
from ..db import db
from ..models.keys import SigningKey
from ..security.audit import record
from ..security.sealing import seal, unseal
from ..settings import settings
from ..transaction import after_commit, operation
from .published import JWKS_MAX_AGE, JWKS_SERVER_CACHE_SECONDS, forget_jwks, published

DEFAULT_ALGORITHM = "RS256"
SUPPORTED_ALGORITHMS = ("RS256", "ES256")
PUBLISHED, ACTIVE, RETIRED = "published", "active", "retired"


@dataclass(frozen=True)
class Signer:
    """What signing needs of a key, kept between requests (no database row)."""

    kid: str
    alg: str
    private_key_sealed: str


@dataclass(frozen=True)
class KeyState:
    key: SigningKey
    state: str  # PUBLISHED, ACTIVE or RETIRED
    signs_from: datetime
    retired_at: datetime | None  # when it stopped signing
    in_jwks: bool


def publish_delay() -> timedelta:
    """How long a rotated-in key is published before it signs: longer than any cached JWKS."""
    caches = timedelta(seconds=JWKS_SERVER_CACHE_SECONDS + JWKS_MAX_AGE)
    return caches + settings().key_publish_margin_seconds


def _signs_from(key: SigningKey) -> datetime:
    return key.activates_at or key.created_at


def key_states(now: datetime) -> list[KeyState]:
    """Every key with its state at ``now``, oldest first (see the module's docstring)."""
    ttl = settings().id_token_ttl
    keys = db.session.scalars(db.select(SigningKey).order_by(SigningKey.id)).all()
    states = []
    for key in keys:
        start = _signs_from(key)
        retired_at: datetime | None
        if key.withdrawn_at is not None or not key.active:
            retired_at = key.retired_at or key.withdrawn_at or start
        else:
            successors = [
                _signs_from(other)
                for other in keys
                if other.alg == key.alg
                and other.active
                and other.withdrawn_at is None
                and (_signs_from(other), other.id) > (start, key.id)
                and _signs_from(other) <= now
            ]
            retired_at = min(successors, default=None)
        if start > now and key.active:
            state = PUBLISHED
        elif retired_at is None:
            state = ACTIVE
        else:
            state = RETIRED
        in_jwks = key.withdrawn_at is None and (retired_at is None or retired_at + ttl > now)
        states.append(KeyState(key, state, start, retired_at, in_jwks))
    return states


def _generate(alg: str) -> SigningKey:
    kid = secrets.token_urlsafe(12)
    parameters: KeyParameters = {"kid": kid, "use": "sig", "alg": alg}
    key: RSAKey | ECKey
    if alg == "RS256":
        key = RSAKey.generate_key(2048, parameters=parameters, private=True)
    elif alg == "ES256":
        key = ECKey.generate_key("P-256", parameters=parameters, private=True)
    else:
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    pem = key.as_pem(private=True).decode("ascii")
    return SigningKey(
        kid=kid,
        alg=alg,
        active=True,
        created_at=clock.now(),
        private_key_sealed=seal(current_app.config["SECRET_KEY"], pem),
        public_jwk=key.as_dict(private=False),
    )


def active_key(alg: str = DEFAULT_ALGORITHM) -> SigningKey:
    """The key that signs ``alg`` now, created (and committed) on first need."""
    if alg not in SUPPORTED_ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    return _active(key_states(clock.now()), alg) or _create_first_key(alg)


def _active(states: list[KeyState], alg: str) -> SigningKey | None:
    signing = [state.key for state in states if state.state == ACTIVE and state.key.alg == alg]
    return signing[-1] if signing else None


def signing_key(alg: str = DEFAULT_ALGORITHM) -> Signer:
    """The key that signs ``alg`` now, without reading the key set on every token request.

    Kept per application like the JWKS (``published.signer``): read again after
    ``JWKS_SERVER_CACHE_SECONDS``, at the next change of the set (a published key's activation),
    or at once after a rotation on this instance. A rotation made on another instance is seen
    within the same delay as that instance's JWKS, which a normal rotation's publish delay
    covers; after an emergency one, this instance may still sign with the withdrawn key for
    that long (relying parties that fetched the new set reject such tokens: no trust is added).
    """

    if alg not in SUPPORTED_ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {alg!r}")

    def choose(now: datetime) -> tuple[Signer, datetime | None]:
        states = key_states(now)
        key = _active(states, alg) or _create_first_key(alg)
        return Signer(key.kid, key.alg, key.private_key_sealed), _next_change(states, now)

    return published().signer(alg, clock.now(), choose)


@operation
def _create_first_key(alg: str) -> SigningKey:
    key = _generate(alg)
    db.session.add(key)
    record("signing_key_created", kid=key.kid, alg=alg)
    # Emptied once the key is in the database, so that no JWKS is cached without it.
    after_commit(forget_jwks)
    return key


def private_key(key: SigningKey | Signer) -> RSAKey | ECKey:
    """The joserfc private key of ``key``, with its ``kid``."""
    return _imported_private_key(
        key.kid, key.alg, key.private_key_sealed, current_app.config["SECRET_KEY"]
    )


@functools.lru_cache(maxsize=8)
def _imported_private_key(kid: str, alg: str, sealed: str, secret_key: str) -> RSAKey | ECKey:
    # Unsealing and parsing an RSA key costs ~50 ms, signing <1 ms: each token request used to
    # pay for it. Keyed by the sealed text and the secret, a rotated key is a new entry.
    pem = unseal(secret_key, sealed)
    key_class = RSAKey if alg == "RS256" else ECKey
    return key_class.import_key(pem, parameters={"kid": kid, "use": "sig", "alg": alg})


def published_keys() -> list[SigningKey]:
    """Keys in the JWKS now: published (next), active, and retired ones whose ID tokens may
    still be unexpired."""
    return [state.key for state in key_states(clock.now()) if state.in_jwks]


def next_key_set_change(now: datetime) -> datetime | None:
    """When the published set next changes by itself (a retired key leaving), if ever."""
    return _next_change(key_states(now), now)


def _next_change(states: list[KeyState], now: datetime) -> datetime | None:
    ttl = settings().id_token_ttl
    upcoming = [s.signs_from for s in states if s.state == PUBLISHED]
    leaving = [s.retired_at + ttl for s in states if s.in_jwks and s.retired_at]
    # A published key starting to sign retires its predecessor: that sets when it leaves.
    return min((moment for moment in leaving + upcoming if moment > now), default=None)


def jwks() -> KeySetSerialization:
    """The public JSON Web Key Set (RFC 7517 section 5), creating the first key if none."""
    if not any(k.active for k in published_keys()):
        active_key(DEFAULT_ALGORITHM)
    return {"keys": [dict(k.public_jwk) for k in published_keys()]}


def public_key_set() -> KeySet:
    return KeySet.import_key_set(jwks())


@operation
def rotate_keys(*, emergency: bool = False) -> tuple[list[SigningKey], list[SigningKey]]:
    """A new key for each algorithm in use (RS256 always); returns ``(created, replaced)``.

    Normally the new keys are published now and sign from ``now + publish_delay()``; the keys
    they replace sign until then, then stay published until their ID tokens have expired.
    ``emergency`` (a compromised key): the new keys sign at once and the replaced ones leave
    the JWKS at once. Its cost: relying parties holding a cached JWKS reject new ID tokens
    until they fetch it again (up to its max-age), and ID tokens the old keys signed stop
    verifying.
    """
    now = clock.now()
    current = [state.key for state in key_states(now) if state.state in (ACTIVE, PUBLISHED)]
    algorithms = {DEFAULT_ALGORITHM} | {key.alg for key in current}
    created = [_generate(alg) for alg in sorted(algorithms)]
    if emergency:
        for key in current:
            key.active = False
            key.retired_at = now
            key.withdrawn_at = now
    else:
        for key in created:
            key.activates_at = now + publish_delay()
    db.session.add_all(created)
    record(
        "signing_keys_rotated",
        created=[k.kid for k in created],
        replaced=[k.kid for k in current],
        emergency=emergency,
        signs_from=_signs_from(created[0]).isoformat() if not emergency else now.isoformat(),
    )
    after_commit(forget_jwks)
    return created, current


def verify_own_id_token(token: str) -> dict | None:
    """The claims of an ID token this provider signed (expired ones too), or None.

    Used for ``id_token_hint`` (OIDC Core 3.1.2.1, RP-Initiated Logout 2): expiry does not
    matter, the signature and the issuer do.
    """
    try:
        decoded = jwt.decode(token, public_key_set(), algorithms=list(SUPPORTED_ALGORITHMS))
    except (JoseError, ValueError, TypeError):
        return None
    claims = dict(decoded.claims)
    if claims.get("iss") != urls.issuer() or not claims.get("sub"):
        return None
    return claims
