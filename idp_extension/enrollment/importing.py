"""Filling the member register from the insurer's CSV export (``flask idp import-members``).

The file is UTF-8 (with or without BOM) or Latin-1/Windows-1252, comma- or semicolon-separated,
with a header naming member_number, last_name, first_name, birth_date and optionally status.
Rows are upserted by member number.

A run holds memory bounded whatever the file's size (millions of rows): the file is read as a
stream, checked row by row, and loaded in batches into a temporary staging table (COPY on
PostgreSQL, batched INSERTs on SQLite, see ``staging``); set-based statements then count what
would change and apply it with one ``INSERT ... ON CONFLICT DO UPDATE``. A number given twice is
spotted with a bitmap of the 10^8 possible member numbers (12.5 MB), not a dictionary.

Bad rows and atomicity: a bad row is reported by its line number and skipped, and the good rows
are applied, as the command always did (an insurer's export with one mistyped date must not
hold back a whole night's changes). The run itself is atomic: it is one transaction, so a
failure half-way (the database, an interrupted run, the termination guard) leaves the register
and the accounts exactly as they were. ``dry_run`` takes the same path and rolls back instead
of committing: everything checked and counted, nothing written.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, BinaryIO

from flask import current_app
from flask_babel import gettext

from ..db import db
from ..errors import IdpError
from ..i18n import N_
from ..models import MemberStatus
from ..security.audit import record
from ..transaction import operation
from . import staging as staging_module

if TYPE_CHECKING:
    from _csv import Reader  # what csv.reader returns (typeshed's name)

REQUIRED_COLUMNS = ("member_number", "last_name", "first_name", "birth_date")
OPTIONAL_COLUMNS = ("status",)
MAX_NAME_LENGTH = 100
_MEMBER_NUMBER = re.compile(r"^[0-9]{8}$")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_FRENCH_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_STATUS_WORDS = {
    "": MemberStatus.ACTIVE,
    "active": MemberStatus.ACTIVE,
    "actif": MemberStatus.ACTIVE,
    "terminated": MemberStatus.TERMINATED,
    "resilie": MemberStatus.TERMINATED,
    "résilié": MemberStatus.TERMINATED,
}
_STATUS_VALUES = {word: status.value for word, status in _STATUS_WORDS.items()}
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}
BATCH_ROWS = 10_000
# Rejected rows kept in the report (all of them still reach ``on_reject`` and the counts).
KEEP_REJECTED = 1000
# Duplicates whose first line is looked up at the end; past this, "an earlier line".
_DUPLICATES_RESOLVED = 10_000


class ImportFileError(IdpError):
    """The file as a whole cannot be read as a member register (nothing was imported); the
    error's text, in English, says why."""

    code, status = "import_file_invalid", 422
    message = N_(
        "Ce fichier ne peut pas être lu comme un registre d'adhérents (%(reason)s). "
        "Rien n'a été importé."
    )

    def describe(self) -> str:
        return gettext(self.message, reason=str(self))


class TerminationGuardError(IdpError):
    """``terminate_missing`` would end more of the register than allowed (nothing was written)."""

    code, status = "termination_guard", 422
    message = N_(
        "%(count)s des %(active)s adhérents actifs (plus de %(max)s %%) ne figurent pas dans le "
        "fichier : l'export est-il tronqué ? Rien n'a été importé."
    )

    def __init__(self, would_terminate: int, active: int, max_percent: float):
        self.would_terminate = would_terminate
        self.active = active
        self.max_percent = max_percent
        share = 100 * would_terminate / active if active else 100.0
        super().__init__(
            f"{would_terminate} of {active} active members ({share:.1f} %) are absent from the "
            f"file, more than the {max_percent:g} % allowed: is the export truncated? "
            "Nothing was written (use --force if this is intended)"
        )

    def describe(self) -> str:
        return gettext(
            self.message, count=self.would_terminate, active=self.active, max=self.max_percent
        )


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    # Active members whose membership this run ends (status column, or absent with
    # terminate_missing); ``missing`` of them were absent from the file.
    terminated: int = 0
    missing: int = 0
    reinstated: int = 0
    rejected_count: int = 0
    # The first KEEP_REJECTED rejected rows, by line.
    rejected: list[RejectedRow] = field(default_factory=list)
    dry_run: bool = False
    terminate_missing: bool = False
    rows: int = 0
    # A few rows of each kind, for the console's preview.
    samples: dict[str, list[dict]] = field(default_factory=dict)

    def summary(self) -> str:
        line = f"added {self.added}, updated {self.updated}, rejected {self.rejected_count}"
        if self.terminate_missing or self.terminated:
            line += f", terminated {self.terminated}"
        return f"dry run: {line}" if self.dry_run else line

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "terminated": self.terminated,
            "missing": self.missing,
            "reinstated": self.reinstated,
            "rejected_count": self.rejected_count,
            "rejected": [{"line": row.line, "reason": row.reason} for row in self.rejected],
            "dry_run": self.dry_run,
        }


# One operation by design: the whole file lands, with its audit row, or nothing of it does.
@operation
def import_members(
    source: bytes | str | os.PathLike | BinaryIO,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    terminate_missing: bool = False,
    max_terminate_percent: float = 5,
    force: bool = False,
    ip_address: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_reject: Callable[[RejectedRow], None] | None = None,
    keep_rejected: int = KEEP_REJECTED,
    sample_rows: int = 0,
) -> ImportReport:
    """Upsert every good row of a CSV export into ``member_records``, in one transaction.

    ``on_progress(rows, bytes_read)`` is called after each batch; ``on_reject`` for every
    rejected row. With ``terminate_missing`` the file is a full export: active members absent
    from it are terminated (their accounts suspended), unless more than
    ``max_terminate_percent`` of the active register would be, when ``TerminationGuardError``
    is raised unless ``force``. ``sample_rows`` rows of each kind (added, updated, missing) go
    in ``report.samples`` for a preview (a dry run applies nothing and drops its staging
    tables: it writes nothing). Inside another operation (the console's, with its own audit) it
    joins it.
    """
    if now is None:
        now = current_app.extensions["idp"].clock.now()
    with _binary(source) as stream:
        encoding = _detect_encoding(stream)
        reader = _RowReader(stream, encoding, on_reject=on_reject, keep_rejected=keep_rejected)
        report = ImportReport(dry_run=dry_run, terminate_missing=terminate_missing)
        stage = staging_module.Staging(db.session.connection())
        try:
            stage.create()
            with stage.loader() as load:
                for batch in reader.batches(BATCH_ROWS):
                    load(batch)
                    if on_progress is not None:
                        on_progress(reader.rows, stream.tell())
            reader.resolve_duplicates(stage.first_lines)
            report.rows = reader.rows
            stage.compare(terminate_missing=terminate_missing)
            stage.count(report)
            _guard(report, stage.active_before(), max_terminate_percent, force)
            if sample_rows:
                report.samples = stage.samples(sample_rows)
            if not dry_run:
                stage.apply(now=now)
            stage.drop()
        except BaseException:
            stage.abandon()
            raise
    report.rejected_count = reader.rejected_count
    report.rejected = sorted(reader.rejected, key=lambda row: row.line)
    if dry_run:
        return report
    record(
        "members_imported",
        ip_address=ip_address,
        added=report.added,
        updated=report.updated,
        terminated=report.terminated,
        reinstated=report.reinstated,
        rejected=report.rejected_count,
    )
    return report


def _guard(report: ImportReport, active: int, max_percent: float, force: bool) -> None:
    if force or not report.missing:
        return
    if active == 0 or 100 * report.missing / active > max_percent:
        raise TerminationGuardError(report.missing, active, max_percent)


class _binary:
    """A seekable binary stream over bytes, a path or an open file (closed if we opened it)."""

    def __init__(self, source):
        self.source = source
        self.opened: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        if isinstance(self.source, bytes | bytearray):
            return io.BytesIO(self.source)
        if isinstance(self.source, str | os.PathLike):
            self.opened = open(self.source, "rb")  # noqa: SIM115 - closed in __exit__
            return self.opened
        return self.source

    def __exit__(self, *exc) -> None:
        if self.opened is not None:
            self.opened.close()


def _detect_encoding(stream: BinaryIO) -> str:
    """UTF-8 (a BOM is dropped), else Windows-1252 (Latin-1 plus œ, €), else Latin-1.

    One pass over the bytes per candidate, a megabyte at a time."""
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        stream.seek(0)
        try:
            while chunk := stream.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return "utf-8-sig" if encoding == "utf-8" else encoding
    stream.seek(0)
    return "latin-1"


class _RowReader:
    """Reads and checks rows one by one; rows come out as staging tuples, in batches."""

    def __init__(self, stream: BinaryIO, encoding: str, *, on_reject, keep_rejected: int):
        self.text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        self.on_reject = on_reject
        self.keep_rejected = keep_rejected
        self.rejected: list[RejectedRow] = []
        self.rejected_count = 0
        self.rows = 0
        self.seen = bytearray(100_000_000 // 8)
        self.duplicates: list[tuple[int, str]] = []

    def reject(self, line: int, reason: str) -> None:
        rejected = RejectedRow(line, reason)
        self.rejected_count += 1
        if len(self.rejected) < self.keep_rejected:
            self.rejected.append(rejected)
        if self.on_reject is not None:
            self.on_reject(rejected)

    def batches(self, size: int) -> Iterator[list[tuple]]:
        batch: list[tuple] = []
        for row in self._rows():
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _header(self) -> tuple[Reader, dict[str, int], int]:
        header_line = next((line for line in self.text if line.strip()), None)
        if header_line is None:
            raise ImportFileError("the file is empty")
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        self.text.seek(0)
        reader = csv.reader(self.text, delimiter=delimiter)
        try:
            header = next(row for row in reader if any(cell.strip() for cell in row))
        except csv.Error as error:
            raise ImportFileError(f"the header cannot be read: {error}") from None
        columns = [cell.strip().lower().lstrip("\ufeff") for cell in header]
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            raise ImportFileError(
                f"the header lacks {', '.join(missing)} (expected: "
                f"{','.join(REQUIRED_COLUMNS)}[,status]; found: {','.join(columns)})"
            )
        position = {
            name: columns.index(name)
            for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS
            if name in columns
        }
        return reader, position, len(columns)

    def _rows(self) -> Iterator[tuple]:
        """Staging tuples: (number, last, first, birth date, status, line, valid)."""
        reader, position, width = self._header()
        at_number = position["member_number"]
        at = tuple(
            position.get(name) for name in ("last_name", "first_name", "birth_date", "status")
        )
        seen = self.seen
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                self.reject(reader.line_num, f"unreadable row: {error}")
                continue
            line = reader.line_num
            if not cells or not cells[0].strip() and not any(cell.strip() for cell in cells):
                continue
            self.rows += 1
            number = None
            try:
                if len(cells) != width:
                    raise ValueError(f"expected {width} columns, found {len(cells)}")
                number = _member_number(cells[at_number])
                row = _check_row(number, cells, at, line)
            except ValueError as error:
                self.reject(line, str(error))
                if number is not None:
                    # Present in the file, if badly: never terminated as "missing".
                    yield (number, None, None, None, None, line, False)
                continue
            index = int(number)
            byte, bit = index >> 3, 1 << (index & 7)
            if seen[byte] & bit:
                if len(self.duplicates) < _DUPLICATES_RESOLVED:
                    self.duplicates.append((line, number))
                else:
                    self.reject(line, f"member number {number} already given on an earlier line")
                continue
            seen[byte] |= bit
            yield row

    def resolve_duplicates(self, first_lines: Callable[[list[str]], dict[str, int]]) -> None:
        """Report each repeated number with the line that gave it first (kept)."""
        if not self.duplicates:
            return
        first = first_lines(sorted({number for _, number in self.duplicates}))
        for line, number in self.duplicates:
            self.reject(line, f"member number {number} already given on line {first[number]}")
        self.duplicates = []


def _member_number(value: str) -> str:
    if len(value) == 8 and value.isascii() and value.isdigit():
        return value
    number = "".join(value.split())
    if not _MEMBER_NUMBER.match(number):
        raise ValueError("member_number must be exactly 8 digits")
    return number


def _check_row(number: str, cells: list[str], at: tuple, line: int) -> tuple:
    """A staging tuple from a row's cells; ``at`` holds the columns' positions (status: None
    when the file has no such column)."""
    at_last, at_first, at_birth, at_status = at
    last_name = _name(cells[at_last], "last_name")
    first_name = _name(cells[at_first], "first_name")
    birth_date = _date(cells[at_birth].strip())
    status = _STATUS_VALUES.get(cells[at_status].strip().lower() if at_status is not None else "")
    if status is None:
        raise ValueError("status must be active or terminated")
    return (number, last_name, first_name, birth_date.isoformat(), status, line, True)


def _name(value: str, column: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError(f"{column} is empty")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"{column} is longer than {MAX_NAME_LENGTH} characters")
    # isprintable() is False for every invisible category (and whitespace was folded above):
    # the per-character look-up only runs for the rare name that needs it.
    if not value.isprintable() and any(unicodedata.category(char) in _INVISIBLE for char in value):
        raise ValueError(f"{column} contains control characters")
    return value


def parse_birth_date(value: str) -> date:
    """A birth date as the register writes it (YYYY-MM-DD or DD/MM/YYYY, from 1900);
    ``ValueError`` otherwise."""
    return _date(value)


def _date(value: str) -> date:
    iso = _ISO_DATE.fullmatch(value)
    french = None if iso else _FRENCH_DATE.fullmatch(value)
    try:
        if iso:
            parsed = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif french:
            parsed = date(int(french[3]), int(french[2]), int(french[1]))
        else:
            parsed = None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError("birth_date must be a real date as YYYY-MM-DD or DD/MM/YYYY")
    if parsed.year < 1900:
        raise ValueError("birth_date is before 1900")
    return parsed
