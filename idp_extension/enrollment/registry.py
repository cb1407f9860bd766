"""The default member registry: the ``member_records`` table."""

from __future__ import annotations

from ..db import db
from ..models import MemberRecord


class DatabaseRegistry:
    """Looks members up in ``member_records`` (filled by ``flask idp import-members``)."""

    def lookup(self, member_number: str) -> MemberRecord | None:
        return db.session.get(MemberRecord, member_number)
