"""Filling the member register from the insurer's CSV export (``flask idp import-members``).

The file is UTF-8 (with or without BOM) or Latin-1/Windows-1252, comma- or semicolon-separated,
with a header naming member_number, last_name, first_name, birth_date and optionally status.
Rows are upserted by member number; a bad row is reported by its line number and skipped.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from ..db import db
from ..models import MemberRecord, MemberStatus
from ..security.audit import record

REQUIRED_COLUMNS = ("member_number", "last_name", "first_name", "birth_date")
OPTIONAL_COLUMNS = ("status",)
MAX_NAME_LENGTH = 100
_MEMBER_NUMBER = re.compile(r"^[0-9]{8}$")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_STATUS_WORDS = {
    "": MemberStatus.ACTIVE,
    "active": MemberStatus.ACTIVE,
    "actif": MemberStatus.ACTIVE,
    "terminated": MemberStatus.TERMINATED,
    "resilie": MemberStatus.TERMINATED,
    "résilié": MemberStatus.TERMINATED,
}
_CHUNK = 500


class ImportFileError(Exception):
    """The file as a whole cannot be read as a member register (nothing was imported)."""


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    def summary(self) -> str:
        return f"added {self.added}, updated {self.updated}, rejected {len(self.rejected)}"

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [{"line": row.line, "reason": row.reason} for row in self.rejected],
        }


@dataclass(frozen=True)
class _Row:
    line: int
    member_number: str
    last_name: str
    first_name: str
    birth_date: date
    status: MemberStatus


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else Windows-1252 (Latin-1 plus œ, €), else Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("the file is not text")  # unreachable: latin-1 decodes any bytes


def import_members(data: bytes, *, ip_address: str | None = None) -> ImportReport:
    """Upsert every good row of a CSV export into ``member_records`` and commit once."""
    text = decode(data)
    rows, report = _parse(text)
    _upsert(rows, report)
    record(
        "members_imported",
        ip_address=ip_address,
        added=report.added,
        updated=report.updated,
        rejected=len(report.rejected),
    )
    db.session.commit()
    return report


def _parse(text: str) -> tuple[list[_Row], ImportReport]:
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), None)
    if header_line is None:
        raise ImportFileError("the file is empty")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
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
        name: columns.index(name) for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if name in columns
    }

    report = ImportReport()
    rows: list[_Row] = []
    first_line_of: dict[str, int] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            report.rejected.append(RejectedRow(reader.line_num, f"unreadable row: {error}"))
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        try:
            row = _read_row(line, cells, position, len(columns))
        except ValueError as error:
            report.rejected.append(RejectedRow(line, str(error)))
            continue
        if row.member_number in first_line_of:
            report.rejected.append(
                RejectedRow(
                    line,
                    f"member number {row.member_number} already given on line "
                    f"{first_line_of[row.member_number]}",
                )
            )
            continue
        first_line_of[row.member_number] = line
        rows.append(row)
    return rows, report


def _read_row(line: int, cells: list[str], position: dict[str, int], width: int) -> _Row:
    if len(cells) != width:
        raise ValueError(f"expected {width} columns, found {len(cells)}")

    def cell(name: str) -> str:
        return cells[position[name]].strip() if name in position else ""

    number = "".join(cell("member_number").split())
    if not _MEMBER_NUMBER.match(number):
        raise ValueError("member_number must be exactly 8 digits")
    last_name = _name(cell("last_name"), "last_name")
    first_name = _name(cell("first_name"), "first_name")
    birth_date = _date(cell("birth_date"))
    status = _STATUS_WORDS.get(cell("status").lower())
    if status is None:
        raise ValueError("status must be active or terminated")
    return _Row(line, number, last_name, first_name, birth_date, status)


def _name(value: str, column: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError(f"{column} is empty")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"{column} is longer than {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"} for char in value):
        raise ValueError(f"{column} contains control characters")
    return value


def _date(value: str) -> date:
    for pattern in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        if parsed.year < 1900:
            raise ValueError("birth_date is before 1900")
        return parsed
    raise ValueError("birth_date must be a real date as YYYY-MM-DD or DD/MM/YYYY")


def _upsert(rows: list[_Row], report: ImportReport) -> None:
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        existing = {
            member.member_number: member
            for member in db.session.scalars(
                select(MemberRecord).where(
                    MemberRecord.member_number.in_([row.member_number for row in chunk])
                )
            )
        }
        for row in chunk:
            values = {
                "last_name": row.last_name,
                "first_name": row.first_name,
                "birth_date": row.birth_date,
                "status": row.status,
            }
            member = existing.get(row.member_number)
            if member is None:
                db.session.add(MemberRecord(member_number=row.member_number, **values))
                report.added += 1
            elif any(getattr(member, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(member, key, value)
                report.updated += 1
            else:
                report.unchanged += 1
        db.session.flush()
