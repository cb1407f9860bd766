"""Short codes a member types (SMS codes, recovery codes): generated, digested, compared.

A 6-digit code has a million values: a plain SHA-256 of it would fall to a dictionary in a
second. The digest is therefore keyed (HMAC-SHA256 with a key derived from the instance's
secret key), so a database dump alone does not give the codes back. Comparisons are constant
time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CODE_DIGITS = 6
# Recovery codes: 10 characters of an alphabet without look-alikes (0/O, 1/I/L), ~50 bits.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECOVERY_LENGTH = 10


def new_numeric_code(digits: int = CODE_DIGITS) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def new_recovery_code() -> str:
    """A code as shown to the member: two groups of five, ``ABCDE-FGHJK``."""
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(code: str) -> str:
    """What the member typed, without spaces or dashes, upper-cased (codes are read aloud)."""
    return "".join(char for char in code if char.isalnum()).upper()


def _key(secret_key: str | bytes) -> bytes:
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"idp-codes-v1").derive(
        material
    )


def digest(secret_key: str | bytes, purpose: str, code: str) -> str:
    """The keyed hex digest stored for ``code`` (bound to its purpose and account scope)."""
    message = f"{purpose}\x00{normalise(code)}".encode()
    return hmac.new(_key(secret_key), message, hashlib.sha256).hexdigest()


def matches(secret_key: str | bytes, purpose: str, code: str, stored: str) -> bool:
    return hmac.compare_digest(digest(secret_key, purpose, code), stored)
