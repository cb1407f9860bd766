"""Pages of the console's lists.

Lists that grow without bound (accounts, the audit log, the register) page by keyset ("seek"):
a page is the ``size`` rows next to a cursor on a unique key (a primary key, which also gives
the order), so page 2,000 costs one index range like page 1, where OFFSET reads and drops every
row before it. The links carry the cursor (``apres``: the rows after this key in the list's
order, ``avant``: those before it) and the page's number, which is only shown.
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

    after: str | None = None  # the rows after this key in the list's order (the next page)
    before: str | None = None  # the rows before it (the previous page)
    number: int = 1  # the page's position as the links counted it (shown, never queried)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Cursor:
        """The cursor of a query string; anything not understood is the first page."""

        def digits(name: str, most: int) -> str | None:
            value = args.get(name, "")
            return value if value.isascii() and value.isdigit() and len(value) <= most else None

        # Keys are ids or member numbers: digits, never beyond PostgreSQL's bigint.
        before, after = digits(BEFORE, 18), digits(AFTER, 18)
        number = digits(NUMBER, 6)
        return cls(
            after=None if before is not None else after,
            before=before,
            number=int(number) if number else 1,
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


def seek(statement, key, cursor: Cursor, size: int = PAGE_SIZE, *, descending=True) -> Page:
    """The page of ``statement`` at ``cursor``, ordered by the unique ``key``."""
    statement = statement.order_by(None)
    forward, backward = (key.desc(), key.asc()) if descending else (key.asc(), key.desc())

    def beyond(value: str, ahead: bool):
        typed = key.type.python_type(value)  # an id's int, a member number's str
        return (key < typed) if ahead == descending else (key > typed)

    if cursor.before is not None:
        earlier = list(
            db.session.scalars(
                statement.where(beyond(cursor.before, False)).order_by(backward).limit(size + 1)
            )
        )
        if len(earlier) <= size:  # back among the first rows: that is the first page
            return seek(statement, key, Cursor(), size, descending=descending)
        rows, has_next, has_previous = earlier[:size][::-1], True, True
        number = max(2, cursor.number)
    else:
        if cursor.after is not None:
            statement = statement.where(beyond(cursor.after, True))
        found = list(db.session.scalars(statement.order_by(forward).limit(size + 1)))
        rows, has_next = found[:size], len(found) > size
        has_previous = cursor.after is not None
        number = max(2, cursor.number) if has_previous else 1
    name = key.key
    return Page(
        items=rows,
        number=number,
        has_next=has_next,
        has_previous=has_previous,
        next_args={AFTER: str(getattr(rows[-1], name)), NUMBER: str(number + 1)} if rows else {},
        previous_args=(
            {BEFORE: str(getattr(rows[0], name)), NUMBER: str(number - 1)} if rows else {}
        ),
    )
