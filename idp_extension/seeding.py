"""Fictitious members and accounts in bulk, to measure pages and queries at a realistic size.

Rows go in below the ORM, a few thousand per batch: COPY on PostgreSQL, the driver's
executemany on SQLite. Every seeded account shares ONE password hash computed
once with the configured argon2id parameters: hashing 100,000 passwords would take an hour and
measure nothing but argon2. Names are French, accented and hyphenated as a real register's are;
member numbers and emails are unique and deterministic for a given ``seed``.
"""

from __future__ import annotations

import enum
import functools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from anyascii import anyascii
from sqlalchemy import func, select

from .db import db
from .models import Account, AccountStatus, MemberRecord, MemberStatus
from .models.account import new_subject
from .transaction import operation

# Seeded member numbers start here (first digit 9), away from the demo's and most tests'.
FIRST_MEMBER_NUMBER = 90_000_000
MAX_SEEDED = 9_999_999
BATCH = 5_000
SEED_EMAIL_DOMAIN = "seed.example"
# One in this many seeded members is terminated, as in a real register.
TERMINATED_EVERY = 50

FIRST_NAMES = (
    "Hélène", "Zoé", "François", "Jérôme", "Cécile", "Anaïs", "Noël", "Gaëlle", "Loïc", "Maëlys",
    "Chloé", "Léa", "Inès", "Benoît", "Stéphane", "Frédéric", "Thérèse", "Agnès", "Josée",
    "Aurélien", "Élodie", "Rémi", "Clémence", "Joël", "Maïwenn", "Anne-Sophie", "Jean-François",
    "Marie-Hélène", "Raphaël", "Sébastien", "Océane", "Mathéo", "Nathalie", "Pierre", "Camille",
    "Lucas", "Emma", "Hugo", "Louise", "Gabriel", "Jade", "Arthur", "Manon", "Paul", "Sarah",
    "Yannick", "Solène", "Gwénaëlle", "Céline", "André",
)  # fmt: skip
LAST_NAMES = (
    "Lefèvre", "Dupré", "Béranger", "Mercier", "Cœur", "Lefèvre-Dupont", "Gérard", "Hébert",
    "Lemaître", "Benoît", "Rivière", "Mathé", "Laurençon", "Théry", "D'Almeida", "N'Diaye",
    "Nguyễn", "Müller", "Lætitia", "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard",
    "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Michel", "Garcia", "Fournier",
    "Girard", "Bonnet", "Boyer", "Chevalier", "François", "Legrand", "Gauthier", "Perrin",
    "Le Gall", "Le Goff", "De la Fontaine", "Ménard", "Prévost", "Brûlé", "Gaël", "Kergoët",
)  # fmt: skip


class SeedError(Exception):
    """The seed cannot be written as asked (too many, or already there)."""


@dataclass(frozen=True)
class SeedReport:
    members: int
    accounts: int
    first_member_number: str
    email_domain: str

    def as_dict(self) -> dict:
        return {
            "members": self.members,
            "accounts": self.accounts,
            "first_member_number": self.first_member_number,
            "email_domain": self.email_domain,
        }

    def summary(self) -> str:
        return (
            f"seeded members {self.members}, accounts {self.accounts} "
            f"(member numbers from {self.first_member_number}, emails @{self.email_domain})"
        )


def _person(rng: random.Random) -> dict:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    born = date(1935, 1, 1) + timedelta(days=rng.randrange(365 * 70))
    return {"first_name": first, "last_name": last, "birth_date": born}


def seed_email(first_name: str, last_name: str, index: int) -> str:
    """A unique, plausible address: ``helene.lefevre-dupont.42@seed.example``."""
    return f"{_local_part(first_name, last_name)}.{index}@{SEED_EMAIL_DOMAIN}"


@functools.lru_cache(maxsize=4096)
def _local_part(first_name: str, last_name: str) -> str:
    return anyascii(f"{first_name}.{last_name}").lower().replace(" ", "-").replace("'", "")


def seed(
    *, members: int, accounts: int, password_hash: str, now: datetime, seed: int = 2026
) -> SeedReport:
    """Insert ``members`` register rows and ``accounts`` active accounts for the first of them.

    Commits once per batch (a 100,000-row seed is not one transaction to keep in memory);
    refuses, before writing anything, when seeded rows are already there.
    """
    if not 0 <= accounts <= members <= MAX_SEEDED:
        raise SeedError(f"need 0 <= accounts <= members <= {MAX_SEEDED}")
    first, last = str(FIRST_MEMBER_NUMBER), str(FIRST_MEMBER_NUMBER + max(members, 1) - 1)
    already = db.session.scalar(
        select(func.count()).where(MemberRecord.member_number.between(first, last))
    )
    if already:
        raise SeedError(f"{already} seeded members already exist (numbers {first}-{last})")
    rng = random.Random(seed)  # noqa: S311 - made-up people, reproducible on purpose
    member_rows, account_rows = [], []
    for index in range(members):
        person = _person(rng)
        number = str(FIRST_MEMBER_NUMBER + index)
        terminated = index >= accounts and index % TERMINATED_EVERY == 0
        member_rows.append(
            {
                "member_number": number,
                "status": MemberStatus.TERMINATED if terminated else MemberStatus.ACTIVE,
                "updated_at": now,
                **person,
            }
        )
        if index < accounts:
            account_rows.append(
                {
                    "member_number": number,
                    "subject": new_subject(),
                    "email": seed_email(person["first_name"], person["last_name"], index),
                    "phone": f"+336{index:08d}",
                    "status": AccountStatus.ACTIVE,
                    "password_hash": password_hash,
                    "email_verified": True,
                    "created_at": now,
                    "activated_at": now,
                    "password_changed_at": now,
                    **person,
                }
            )
        if len(member_rows) == BATCH:
            _write(member_rows, account_rows)
    _write(member_rows, account_rows)
    return SeedReport(members, accounts, first, SEED_EMAIL_DOMAIN)


# One operation per batch, not one for the run: a command's loop over up to MAX_SEEDED rows
# keeps no transaction (on SQLite, no lock on the whole file) open for its whole length.
@operation
def _write(member_rows: list[dict], account_rows: list[dict]) -> None:
    connection = db.session.connection()
    for table, rows in ((MemberRecord.__table__, member_rows), (Account.__table__, account_rows)):
        if rows:
            _bulk_insert(connection, table, rows)
    member_rows.clear()
    account_rows.clear()


def _bulk_insert(connection, table, rows: list[dict]) -> None:
    """Insert ``rows`` below the ORM: COPY on PostgreSQL, a driver executemany elsewhere.

    Values go through each column's own bind processor (dates, UTC datetimes, enums), so
    they are stored exactly as the models would store them.
    """
    dialect = connection.dialect
    rows = _with_column_defaults(table, rows)
    columns = [table.c[name] for name in rows[0]]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    names = ", ".join(dialect.identifier_preparer.quote(column.name) for column in columns)
    quoted_table = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        # psycopg adapts dates and aware datetimes itself; enums and strings are plain text.
        cursor = connection.connection.cursor()
        with cursor, cursor.copy(f"COPY {quoted_table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_plain(value) for value in row.values()])
        return
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in columns)
    # Few distinct values per column (one "now", ~25,000 birth dates): process each once.
    memos = [functools.lru_cache(maxsize=None)(p) if p else None for p in processors]
    values = [
        tuple(m(v) if m and v is not None else v for m, v in zip(memos, row.values(), strict=True))
        for row in rows
    ]
    # Names come from the table's metadata and are quoted; values are bound parameters.
    statement = f"INSERT INTO {quoted_table} ({names}) VALUES ({marks})"  # noqa: S608
    connection.exec_driver_sql(statement, values)


def _with_column_defaults(table, rows: list[dict]) -> list[dict]:
    """Rows completed with the Python-side defaults of the columns they leave out (the ORM
    would apply them; a driver-level insert does not), so a column added later is filled too."""
    missing = [
        column
        for column in table.columns
        if column.name not in rows[0] and column.default is not None
    ]
    if not missing:
        return rows
    constants = {c.name: c.default.arg for c in missing if c.default.is_scalar}
    callables = {c.name: c.default.arg for c in missing if c.default.is_callable}
    completed = []
    for row in rows:
        full = {**row, **constants}
        context = _RowContext(full)
        full.update({name: make(context) for name, make in callables.items()})
        completed.append(full)
    return completed


class _RowContext:
    """What a column default that reads the row's other values asks of SQLAlchemy's context."""

    def __init__(self, row: dict):
        self._row = row

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True) -> dict:
        return self._row


def _plain(value):
    return value.value if isinstance(value, enum.Enum) else value
