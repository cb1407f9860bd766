"""Symmetric sealing of data that must wait in the database but holds a secret (mail bodies
carrying an activation link). The key derives from the session key, shared by every app server."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "seal", "unseal"]


def _fernet(secret_key: str | bytes) -> Fernet:
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"idp-outbox-v1").derive(
        material
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str | bytes, text: str) -> str:
    return _fernet(secret_key).encrypt(text.encode("utf-8")).decode("ascii")


def unseal(secret_key: str | bytes, sealed: str) -> str:
    """Raise ``InvalidToken`` when the key changed or the data was altered."""
    return _fernet(secret_key).decrypt(sealed.encode("ascii")).decode("utf-8")
