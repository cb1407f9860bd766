"""The folded text the console searches accounts by: one column, the same on every database.

SQLite has no ``unaccent`` and PostgreSQL's needs an extension, so accents and case are folded
once in Python when a row is written, and the console folds what it is asked the same way.
"""

from __future__ import annotations

import re

from anyascii import anyascii

_SEPARATORS = re.compile(r"[\s\-'`.]+")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]+")


def fold(text: str | None) -> str:
    """Accents dropped (é→e, œ→oe), case folded, hyphens, apostrophes and spaces unified."""
    return _SEPARATORS.sub(" ", anyascii(text or "").casefold()).strip()


def phone_forms(phone: str | None) -> list[str]:
    """The ways staff type a stored E.164 number: ``+33612345678``, ``33612345678``,
    ``0612345678`` (the French national form)."""
    if not phone:
        return []
    digits = phone.lstrip("+")
    forms = [phone, digits]
    if digits.startswith("33"):
        forms.append("0" + digits[2:])
    return forms


def fold_query(query: str) -> str:
    """A search as typed, in the form of the stored text (a phone number loses separators)."""
    stripped = query.strip()
    if re.fullmatch(r"\+?[\d\s.\-()]+", stripped):
        return _PHONE_SEPARATORS.sub("", stripped)
    return fold(stripped)


def account_search_text(
    *,
    first_name: str | None,
    last_name: str | None,
    email: str | None,
    phone: str | None,
    member_number: str | None,
) -> str:
    """Everything an account is found by, folded, separated by ``|`` so no term spans two."""
    parts = [
        fold(f"{first_name or ''} {last_name or ''}"),
        fold(f"{last_name or ''} {first_name or ''}"),
        (email or "").casefold(),
        member_number or "",
        *phone_forms(phone),
    ]
    return "|".join(parts)
