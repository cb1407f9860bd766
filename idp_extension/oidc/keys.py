"""ID token signing keys: creation on first need, rotation, and the published JWKS.

A retired key stays in the JWKS until every ID token it signed has expired
(``retired_at + IDP_ID_TOKEN_TTL``), so relying parties never meet an unknown ``kid``.
"""

from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from .. import clock
from ..db import db
from ..models.keys import SigningKey
from ..security.audit import record
from ..security.sealing import seal, unseal
from .published import forget_jwks

DEFAULT_ALGORITHM = "RS256"
SUPPORTED_ALGORITHMS = ("RS256", "ES256")


def _generate(alg: str) -> SigningKey:
    kid = secrets.token_urlsafe(12)
    parameters = {"kid": kid, "use": "sig", "alg": alg}
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
    """The newest active key for ``alg``, created (and committed) on first need."""
    if alg not in SUPPORTED_ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    key = db.session.scalars(
        db.select(SigningKey)
        .filter_by(alg=alg, active=True)
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
    ).first()
    if key is None:
        key = _generate(alg)
        db.session.add(key)
        record("signing_key_created", kid=key.kid, alg=alg)
        db.session.commit()
        forget_jwks()
    return key


def private_key(key: SigningKey) -> RSAKey | ECKey:
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
    """Active keys, and retired keys whose ID tokens may still be unexpired."""
    cutoff = clock.now() - timedelta(seconds=current_app.config["IDP_ID_TOKEN_TTL"])
    keys = db.session.scalars(db.select(SigningKey).order_by(SigningKey.created_at)).all()
    return [k for k in keys if k.active or (k.retired_at and k.retired_at > cutoff)]


def next_key_set_change(now: datetime) -> datetime | None:
    """When the published set next changes by itself (a retired key leaving), if ever."""
    ttl = timedelta(seconds=current_app.config["IDP_ID_TOKEN_TTL"])
    leaving = [k.retired_at + ttl for k in published_keys() if not k.active and k.retired_at]
    return min((moment for moment in leaving if moment > now), default=None)


def jwks() -> dict:
    """The public JSON Web Key Set (RFC 7517 section 5), creating the first key if none."""
    if not any(k.active for k in published_keys()):
        active_key(DEFAULT_ALGORITHM)
    return {"keys": [dict(k.public_jwk) for k in published_keys()]}


def public_key_set() -> KeySet:
    return KeySet.import_key_set(jwks())


def rotate_keys() -> tuple[list[SigningKey], list[SigningKey]]:
    """Make a new active key for each algorithm in use (RS256 always); retire the old ones.

    Returns ``(created, retired)``; the caller's transaction is committed here.
    """
    now = clock.now()
    old = db.session.scalars(db.select(SigningKey).filter_by(active=True)).all()
    algorithms = {DEFAULT_ALGORITHM} | {k.alg for k in old}
    for key in old:
        key.active = False
        key.retired_at = now
    created = [_generate(alg) for alg in sorted(algorithms)]
    db.session.add_all(created)
    record("signing_keys_rotated", created=[k.kid for k in created], retired=[k.kid for k in old])
    db.session.commit()
    forget_jwks()
    return created, old


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
    if claims.get("iss") != current_app.config["IDP_ISSUER"] or not claims.get("sub"):
        return None
    return claims
