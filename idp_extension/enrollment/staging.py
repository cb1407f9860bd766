"""The set-based half of a register import: a temporary staging table and the statements over it.

Rows arrive in batches from ``importing`` and are loaded into ``idp_import_staging`` (PostgreSQL:
``COPY ... FROM STDIN``, the fastest way in; SQLite: ``executemany``). Then, in the caller's
transaction, a few statements compare the staging table with ``member_records``, count, and
apply the file with one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` (upsert, supported by
both databases). Memory stays flat: nothing of the file is held in Python past one batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import cast

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from ..models import MemberRecord, MemberStatus
from ..models.types import UTCDateTime
from . import membership

_metadata = MetaData()
STAGED = Table(
    "idp_import_staging",
    _metadata,
    Column("member_number", String(8)),
    Column("last_name", String(100)),
    Column("first_name", String(100)),
    Column("birth_date", Date),
    Column("status", String(16)),
    Column("line", Integer),
    # False: a rejected row whose member number could be read (present, so never "missing").
    Column("valid", Boolean),
    prefixes=["TEMPORARY"],
)
# Member numbers whose membership this run ends (``missing``: absent from the file).
ENDED = Table(
    "idp_import_ended",
    _metadata,
    Column("member_number", String(8), primary_key=True),
    Column("missing", Boolean),
    prefixes=["TEMPORARY"],
)
# Terminated members the file makes active again.
RESUMED = Table(
    "idp_import_resumed",
    _metadata,
    Column("member_number", String(8), primary_key=True),
    prefixes=["TEMPORARY"],
)
_TABLES = (STAGED, ENDED, RESUMED)
# Declared a FromClause by SQLAlchemy's typing; a declarative class's __table__ is a Table.
_MEMBERS = cast(Table, MemberRecord.__table__)
_ACTIVE = MemberStatus.ACTIVE.value
_TERMINATED = MemberStatus.TERMINATED.value
_FIELDS = ("last_name", "first_name", "birth_date", "status")


def _copy_line(row: tuple) -> str:
    """One staged row in COPY's text format (names hold no control characters: checked
    before, so only the backslash needs escaping)."""
    number, last_name, first_name, birth_date, status, line, valid = row
    if not valid:
        return f"{number}\t\\N\t\\N\t\\N\t\\N\t{line}\tf\n"
    last_name = last_name.replace("\\", "\\\\")
    first_name = first_name.replace("\\", "\\\\")
    return f"{number}\t{last_name}\t{first_name}\t{birth_date}\t{status}\t{line}\tt\n"


class Staging:
    """The staging tables of one run, on the connection (and transaction) of the caller."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.postgresql = connection.dialect.name == "postgresql"

    # --- Loading ------------------------------------------------------------------------

    def create(self) -> None:
        self._drop_tables()  # a pooled SQLite connection may keep a failed run's tables
        for table in _TABLES:
            table.create(self.connection)

    @contextmanager
    def loader(self) -> Iterator[Callable[[list[tuple]], None]]:
        """A function taking one batch of rows at a time.

        On PostgreSQL one COPY spans every batch, its writes queued to a thread: the server
        ingests a batch while the next one is read and checked."""
        raw = self.connection.connection.driver_connection
        assert raw is not None  # a connection in use has its driver's connection
        if not self.postgresql:
            marks = ", ".join("?" * len(STAGED.columns))
            # The table name is a constant of this module, the values are parameters.
            statement = f"INSERT INTO {STAGED.name} VALUES ({marks})"  # noqa: S608
            yield lambda rows: raw.executemany(statement, rows)
            return
        from psycopg.copy import QueuedLibpqWriter

        columns = ", ".join(column.name for column in STAGED.columns)
        statement = f"COPY {STAGED.name} ({columns}) FROM STDIN"
        with (
            raw.cursor() as cursor,
            cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy,
        ):
            yield lambda rows: copy.write("".join(map(_copy_line, rows)).encode())

    def first_lines(self, numbers: list[str]) -> dict[str, int]:
        """The first valid line of each number (the row kept when a number repeats)."""
        found: dict[str, int] = {}
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            found.update(
                self.connection.execute(
                    select(STAGED.c.member_number, func.min(STAGED.c.line))
                    .where(STAGED.c.valid, STAGED.c.member_number.in_(chunk))
                    .group_by(STAGED.c.member_number)
                ).all()
            )
        return found

    # --- Comparing and counting ---------------------------------------------------------

    def compare(self, *, terminate_missing: bool) -> None:
        """Fill the ended and resumed tables from the staged rows and the register."""
        if self.postgresql:
            # Fresh statistics: the planner must see a million staged rows, not an empty table.
            self.connection.exec_driver_sql(f"ANALYZE {STAGED.name}")
        else:
            self.connection.exec_driver_sql(
                f"CREATE INDEX idp_import_staging_number ON {STAGED.name} (member_number)"
            )
        joined = STAGED.join(_MEMBERS, _MEMBERS.c.member_number == STAGED.c.member_number)
        self.connection.execute(
            insert(ENDED).from_select(
                ["member_number", "missing"],
                select(STAGED.c.member_number, literal(False))
                .select_from(joined)
                .where(
                    STAGED.c.valid,
                    _MEMBERS.c.status == _ACTIVE,
                    STAGED.c.status == _TERMINATED,
                ),
            )
        )
        if terminate_missing:
            present = exists().where(STAGED.c.member_number == _MEMBERS.c.member_number)
            self.connection.execute(
                insert(ENDED).from_select(
                    ["member_number", "missing"],
                    select(_MEMBERS.c.member_number, literal(True)).where(
                        _MEMBERS.c.status == _ACTIVE, not_(present)
                    ),
                )
            )
        self.connection.execute(
            insert(RESUMED).from_select(
                ["member_number"],
                select(STAGED.c.member_number)
                .select_from(joined)
                .where(
                    STAGED.c.valid,
                    _MEMBERS.c.status == _TERMINATED,
                    STAGED.c.status == _ACTIVE,
                ),
            )
        )

    def _changed(self):
        return or_(*(_MEMBERS.c[name] != STAGED.c[name] for name in _FIELDS))

    def count(self, report) -> None:
        """Fill the report's counts: added, updated, unchanged, terminated, reinstated."""
        outer = STAGED.outerjoin(_MEMBERS, _MEMBERS.c.member_number == STAGED.c.member_number)
        new = _MEMBERS.c.member_number.is_(None)

        def total(condition):
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        added, updated, unchanged = self.connection.execute(
            select(
                total(new),
                total(and_(not_(new), self._changed())),
                total(and_(not_(new), not_(self._changed()))),
            )
            .select_from(outer)
            .where(STAGED.c.valid)
        ).one()
        report.added, report.updated, report.unchanged = int(added), int(updated), int(unchanged)
        report.terminated, report.missing = (
            int(value)
            for value in self.connection.execute(
                select(func.count(), total(ENDED.c.missing)).select_from(ENDED)
            ).one()
        )
        report.reinstated = self.connection.scalar(select(func.count()).select_from(RESUMED))

    def active_before(self) -> int:
        return self.connection.execute(
            select(func.count()).select_from(_MEMBERS).where(_MEMBERS.c.status == _ACTIVE)
        ).scalar_one()

    def samples(self, limit: int) -> dict[str, list[dict]]:
        """A few rows of each kind, in file order, for a preview."""
        outer = STAGED.outerjoin(_MEMBERS, _MEMBERS.c.member_number == STAGED.c.member_number)
        staged = [STAGED.c[name] for name in ("line", "member_number", *_FIELDS)]

        def rows(statement) -> list[dict]:
            return [dict(row._mapping) for row in self.connection.execute(statement.limit(limit))]

        base = select(*staged).select_from(outer).where(STAGED.c.valid).order_by(STAGED.c.line)
        return {
            "added": rows(base.where(_MEMBERS.c.member_number.is_(None))),
            "updated": rows(base.where(_MEMBERS.c.member_number.is_not(None), self._changed())),
            "missing": rows(
                select(_MEMBERS.c.member_number, *(_MEMBERS.c[name] for name in _FIELDS))
                .join(ENDED, ENDED.c.member_number == _MEMBERS.c.member_number)
                .where(ENDED.c.missing)
                .order_by(_MEMBERS.c.member_number)
            ),
        }

    # --- Applying -----------------------------------------------------------------------

    def apply(self, *, now: datetime) -> None:
        """Upsert the valid rows, terminate the missing, and suspend or reinstate accounts."""
        dialect_insert = pg_insert if self.postgresql else sqlite_insert
        outer = STAGED.outerjoin(_MEMBERS, _MEMBERS.c.member_number == STAGED.c.member_number)
        # Only new or changed rows reach the upsert: an unchanged night writes (and locks)
        # nothing; ON CONFLICT still settles a row another writer added meanwhile.
        upsert = dialect_insert(_MEMBERS).from_select(
            ["member_number", *_FIELDS, "updated_at"],
            select(
                STAGED.c.member_number,
                *(STAGED.c[name] for name in _FIELDS),
                literal(now, UTCDateTime),
            )
            .select_from(outer)
            .where(STAGED.c.valid, or_(_MEMBERS.c.member_number.is_(None), self._changed())),
        )
        self.connection.execute(
            upsert.on_conflict_do_update(
                index_elements=["member_number"],
                set_={name: upsert.excluded[name] for name in (*_FIELDS, "updated_at")},
                where=or_(*(_MEMBERS.c[name] != upsert.excluded[name] for name in _FIELDS)),
            )
        )
        missing = select(ENDED.c.member_number).where(ENDED.c.missing)
        self.connection.execute(
            update(_MEMBERS)
            .where(_MEMBERS.c.member_number.in_(missing))
            .values(status=_TERMINATED, updated_at=now)
        )
        membership.suspend_accounts(
            self.connection, select(ENDED.c.member_number), now=now, reason="member_terminated"
        )
        membership.reinstate_accounts(self.connection, select(RESUMED.c.member_number), now=now)

    # --- Cleaning up --------------------------------------------------------------------

    def drop(self) -> None:
        self._drop_tables()

    def abandon(self) -> None:
        """Before the caller's rollback: SQLite created the tables outside the transaction
        (it opens one at the first write), so they are dropped here, on the same connection;
        PostgreSQL's rollback takes them away."""
        if self.postgresql:
            return
        try:
            raw = self.connection.connection.driver_connection
            assert raw is not None  # a connection in use has its driver's connection
            raw.rollback()
            for table in reversed(_TABLES):
                raw.execute(f"DROP TABLE IF EXISTS {table.name}")
        except Exception:  # noqa: BLE001, S110 - dropped again at the next run's start
            pass

    def _drop_tables(self) -> None:
        for table in reversed(_TABLES):
            self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
