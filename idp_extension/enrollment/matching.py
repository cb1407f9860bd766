"""Identity proofing: does what a member typed match their entry in the register (DESIGN 2)?"""

from __future__ import annotations

import re
from datetime import date

from anyascii import anyascii

from ..interfaces import MemberRecordLike
from ..models import MemberStatus

# Hyphens, apostrophes (after transliteration, so ’ and ‐ are already ASCII) and whitespace
# separate the parts of a name equally: "Lefèvre-Dupont" and "LEFEVRE  DUPONT" are one name.
_SEPARATORS = re.compile(r"[\s\-'`]+")


def normalise_name(name: str) -> str:
    """The comparable form of a name: ASCII-transliterated, case-folded, separators unified."""
    ascii_name = anyascii(name).casefold()
    return _SEPARATORS.sub(" ", ascii_name).strip()


def names_match(typed: str, registered: str) -> bool:
    return normalise_name(typed) == normalise_name(registered) != ""


def record_matches(
    record: MemberRecordLike | None, *, first_name: str, last_name: str, birth_date: date
) -> bool:
    """True when the record exists, is active, and its names and birth date match."""
    if record is None or str(record.status) != MemberStatus.ACTIVE.value:
        return False
    return (
        record.birth_date == birth_date
        and names_match(last_name, record.last_name)
        and names_match(first_name, record.first_name)
    )
