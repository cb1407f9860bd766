"""The only place that hashes or verifies a password: argon2id, rehash when parameters change."""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext

from ..errors import IdpError
from ..i18n import N_

# Longer input is refused before hashing: argon2 cost grows with it and nobody types this much.
MAX_PASSWORD_LENGTH = 128
MIN_PASSWORD_LENGTH = 8
SPECIAL_CHARACTERS = "!@#*$%&"


@dataclass(frozen=True)
class PasswordRule:
    code: str
    label: str  # French source text, translated by the views


# The seed's checklist, in its order. The server enforces the same rules whatever the browser did.
RULES = (
    PasswordRule("length", N_("Au moins 8 caractères")),
    PasswordRule("lower", N_("Au moins une lettre minuscule (abc...)")),
    PasswordRule("upper", N_("Au moins une lettre majuscule (ABC...)")),
    PasswordRule("digit", N_("Au moins un chiffre (123...)")),
    PasswordRule("special", N_("Au moins un caractère spécial autorisé (! @ # * $ % &)")),
)

# Letters by their Unicode category, so "É" is an upper-case letter and "é" a lower-case one.
# static/js/password-checklist.js applies the very same rule (\p{Lu}, \p{Ll}, code points).
_CHECKS = {
    "length": lambda p: MIN_PASSWORD_LENGTH <= len(p) <= MAX_PASSWORD_LENGTH,
    "lower": lambda p: any(unicodedata.category(c) == "Ll" for c in p),
    "upper": lambda p: any(unicodedata.category(c) == "Lu" for c in p),
    "digit": lambda p: re.search(r"[0-9]", p) is not None,
    "special": lambda p: any(c in SPECIAL_CHARACTERS for c in p),
}


def translated_rules() -> list[tuple[str, str]]:
    """(code, label in the current language) for each rule: the pages' checklist."""
    return [(rule.code, gettext(rule.label)) for rule in RULES]


class PasswordPolicyError(IdpError, ValueError):
    """The password breaks the rules listed in ``unmet`` (checklist order); 422 with the form."""

    code, status = "password_policy", 422
    message = N_("Le mot de passe ne respecte pas toutes les conditions : %(rules)s.")

    def __init__(self, unmet: list[PasswordRule]):
        super().__init__(", ".join(rule.code for rule in unmet))
        self.unmet = unmet

    def describe(self) -> str:
        rules = ", ".join(gettext(rule.label).lower() for rule in self.unmet)
        return gettext(self.message, rules=rules)


def unmet_rules(password: str) -> list[PasswordRule]:
    """The policy rules this password breaks, in checklist order (empty when it is acceptable)."""
    return [rule for rule in RULES if not _CHECKS[rule.code](password)]


# One argon2 computation at a time per process. The server runs one worker process per core,
# so this keeps every core busy while a worker's resident size grows by one hash's memory
# (IDP_ARGON2_MEMORY_COST), not by one per thread: malloc keeps what a hash used.
_ONE_HASH_AT_A_TIME = threading.Lock()


class PasswordHashing:
    """argon2id with the parameters from config (IDP_ARGON2_*)."""

    def __init__(self, time_cost: int, memory_cost: int, parallelism: int):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )

    @classmethod
    def from_config(cls, config) -> PasswordHashing:
        return cls(
            config["IDP_ARGON2_TIME_COST"],
            config["IDP_ARGON2_MEMORY_COST"],
            config["IDP_ARGON2_PARALLELISM"],
        )

    def hash(self, password: str) -> str:
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValueError("password too long")
        with _ONE_HASH_AT_A_TIME:
            return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when the password matches; False for no hash, a mismatch or an oversized input."""
        if not stored_hash or len(password) > MAX_PASSWORD_LENGTH:
            # Spend comparable time so that a missing account is not told apart by timing.
            with _ONE_HASH_AT_A_TIME:
                self._hasher.hash("timing-equaliser")
            return False
        try:
            with _ONE_HASH_AT_A_TIME:
                return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
