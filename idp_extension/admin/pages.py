"""Pages of the console's lists.

Long lists that grow without bound (accounts, the audit log) page by keyset ("seek"): a page is
the ``size`` rows next to a cursor on a unique key (the primary key, which also orders them
newest first), so page 2,000 costs one index range like page 1, where OFFSET reads and drops
every row before it. The links carry the cursor (``apres``: rows older than this id, ``avant``:
newer ones) and the page's number, which is only shown. Short lists keep OFFSET (``paginate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..db import db

PAGE_SIZE = 50
AFTER, BEFORE, NUMBER = "apres", "avant", "page"


@dataclass(frozen=True)
class Cursor:
    """Where a keyset page starts, as its link said; empty for the first page."""

    after: int | None = None  # the rows older than this key (the next page)
    before: int | None = None  # the rows newer than this key (the previous page)
    number: int = 1  # the page's position as the links counted it (shown, never queried)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Cursor:
        """The cursor of a query string; anything not understood is the first page."""

        def whole(name: str, digits: int) -> int | None:
            value = args.get(name, "")
            return int(value) if value.isdigit() and len(value) <= digits else None

        # A key beyond PostgreSQL's bigint cannot name a row (and would make it raise).
        before, after = whole(BEFORE, 18), whole(AFTER, 18)
        return cls(
            after=None if before is not None else after,
            before=before,
            number=whole(NUMBER, 6) or 1,
        )


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, its number, whether others come before or after it, and
    the query-string values of the links to them."""

    items: list
    number: int
    has_next: bool
    has_previous: bool = False
    next_args: dict[str, str] = field(default_factory=dict)
    previous_args: dict[str, str] = field(default_factory=dict)

    def link_args(self, args: Mapping[str, str], which: str) -> dict[str, str]:
        """The current query string (filters kept) moved to the ``next`` or ``previous`` page."""
        kept = {key: value for key, value in args.items() if key not in (AFTER, BEFORE, NUMBER)}
        return {**kept, **(self.next_args if which == "next" else self.previous_args)}


def paginate(statement, page: int, size: int = PAGE_SIZE) -> Page:
    """Run ``statement`` for page ``page`` (from 1) with OFFSET: one row more than shown tells
    whether a next page exists, without counting the whole table."""
    page = max(1, page)
    rows = list(db.session.scalars(statement.limit(size + 1).offset((page - 1) * size)))
    return Page(
        items=rows[:size],
        number=page,
        has_next=len(rows) > size,
        has_previous=page > 1,
        next_args={NUMBER: str(page + 1)},
        previous_args={NUMBER: str(page - 1)},
    )


def seek(statement, key, cursor: Cursor, size: int = PAGE_SIZE) -> Page:
    """The page of ``statement`` at ``cursor``, ordered by the unique ``key`` descending."""
    statement = statement.order_by(None)
    if cursor.before is not None:
        newer = list(
            db.session.scalars(
                statement.where(key > cursor.before).order_by(key.asc()).limit(size + 1)
            )
        )
        if len(newer) <= size:  # back among the newest rows: that is the first page
            return seek(statement, key, Cursor(), size)
        rows, has_next, has_previous = newer[:size][::-1], True, True
        number = max(2, cursor.number)
    else:
        if cursor.after is not None:
            statement = statement.where(key < cursor.after)
        found = list(db.session.scalars(statement.order_by(key.desc()).limit(size + 1)))
        rows, has_next = found[:size], len(found) > size
        has_previous = cursor.after is not None
        number = max(2, cursor.number) if has_previous else 1
    value = key.key
    return Page(
        items=rows,
        number=number,
        has_next=has_next,
        has_previous=has_previous,
        next_args={AFTER: str(getattr(rows[-1], value)), NUMBER: str(number + 1)} if rows else {},
        previous_args=(
            {BEFORE: str(getattr(rows[0], value)), NUMBER: str(number - 1)} if rows else {}
        ),
    )
