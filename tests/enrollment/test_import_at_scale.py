"""import-members at insurer scale: one atomic run, --dry-run, --terminate-missing and its guard,
the same answers on SQLite and PostgreSQL (the staging table is loaded by COPY on one and by
batched INSERTs on the other)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from idp_extension.db import db
from idp_extension.enrollment import importing
from idp_extension.enrollment.importing import TerminationGuardError, import_members
from idp_extension.models import MemberRecord, MemberStatus

from ..conftest import both_databases

HEADER = "member_number,last_name,first_name,birth_date,status\n"


def csv_rows(numbers, *, status="active", last_name="Nom") -> str:
    return "".join(f"{n:08d},{last_name}{n},Prénom,1980-01-02,{status}\n" for n in numbers)


def register(app) -> dict[str, tuple]:
    with app.app_context():
        return {
            m.member_number: (m.last_name, m.first_name, m.birth_date, m.status)
            for m in db.session.scalars(select(MemberRecord))
        }


def run(app, data: str | bytes, **options):
    if isinstance(data, str):
        data = data.encode()
    with app.app_context():
        return import_members(data, **options)


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 100 rows, so a few thousand rows cross many batch boundaries."""
    monkeypatch.setattr(importing, "BATCH_ROWS", 100)


@both_databases
def test_a_bad_row_in_the_middle_of_a_large_file_is_reported_and_the_rest_applied(
    app, small_batches
):
    run(app, HEADER + csv_rows(range(10_000_000, 10_000_500), last_name="Ancien"))
    before = register(app)
    rows = csv_rows(range(10_000_000, 10_003_000))
    lines = rows.splitlines(keepends=True)
    lines[1500] = "10001500,Nom,Prénom,31/02/1980,active\n"  # file line 1502
    lines.insert(2000, "10000007,Double,Prénom,1980-01-02,active\n")  # file line 2002
    report = run(app, HEADER + "".join(lines))

    assert [(row.line, row.reason) for row in report.rejected] == [
        (1502, "birth_date must be a real date as YYYY-MM-DD or DD/MM/YYYY"),
        (2002, "member number 10000007 already given on line 9"),
    ]
    assert (report.added, report.updated, report.unchanged) == (2499, 500, 0)
    after = register(app)
    assert len(after) == 2999
    assert after["10000499"][0] == "Nom10000499"
    assert "10001500" not in after
    assert after["10000007"][0] == "Nom10000007"  # the first occurrence, not "Double"
    assert set(before) < set(after)


class Interrupted(Exception):
    pass


@both_databases
def test_a_run_interrupted_half_way_leaves_the_register_as_it_was(app, small_batches):
    run(app, HEADER + csv_rows(range(20_000_000, 20_000_300), last_name="Ancien"))
    before = register(app)

    def interrupt(rows, position):
        if rows >= 1500:
            raise Interrupted  # the operator's Ctrl-C, a killed container, a lost connection

    with pytest.raises(Interrupted):
        run(app, HEADER + csv_rows(range(20_000_000, 20_003_000)), on_progress=interrupt)
    assert register(app) == before
    # The next run starts clean (no staging left over on the connection).
    report = run(app, HEADER + csv_rows(range(20_000_000, 20_000_010)))
    assert (report.added, report.updated, report.unchanged) == (0, 10, 0)


@both_databases
def test_dry_run_counts_everything_and_writes_nothing(app, small_batches):
    run(app, HEADER + csv_rows(range(30_000_000, 30_000_200), last_name="Ancien"))
    before = register(app)
    data = (
        HEADER + csv_rows(range(30_000_100, 30_000_400)) + "3000040X,Mauvais,Numéro,1980-01-02,\n"
    )
    report = run(app, data, dry_run=True, terminate_missing=True, force=True)
    assert report.dry_run
    assert (report.added, report.updated, report.unchanged) == (200, 100, 0)
    assert (report.terminated, report.missing) == (100, 100)
    assert [row.line for row in report.rejected] == [302]
    assert register(app) == before
    # The same file applied gives what the dry run announced.
    applied = run(app, data, terminate_missing=True, force=True)
    assert (applied.added, applied.updated, applied.terminated) == (200, 100, 100)


@both_databases
def test_terminate_missing_terminates_exactly_the_absent_members(app):
    numbers = list(range(40_000_000, 40_000_100))
    run(app, HEADER + csv_rows(numbers))
    run(app, HEADER + "40000050,Déjà,Résilié,1980-01-02,terminated\n")
    # 3 absent (of 99 active): 3 %, under the 5 % guard; a rejected row's member stays.
    absent = {40_000_010, 40_000_020, 40_000_030}
    kept = [n for n in numbers if n not in absent and n not in (40_000_040, 40_000_050)]
    data = HEADER + csv_rows(kept) + "40000040,Nom,Prénom,pas une date,active\n"
    report = run(app, data, terminate_missing=True)

    assert (report.terminated, report.missing, report.rejected_count) == (3, 3, 1)
    terminated = {n for n, row in register(app).items() if row[3] == MemberStatus.TERMINATED}
    # 40000050 was terminated before and the file does not name it: it stays so.
    assert terminated == {f"{n:08d}" for n in absent} | {"40000050"}


@both_databases
def test_the_guard_refuses_a_truncated_export_unless_forced(app):
    run(app, HEADER + csv_rows(range(50_000_000, 50_000_100)))
    before = register(app)
    truncated = HEADER + csv_rows(range(50_000_000, 50_000_094))  # 6 % missing
    with pytest.raises(TerminationGuardError) as refused:
        run(app, truncated, terminate_missing=True)
    assert (refused.value.would_terminate, refused.value.active) == (6, 100)
    assert register(app) == before

    report = run(app, truncated, terminate_missing=True, max_terminate_percent=10)
    assert report.terminated == 6
    run(app, HEADER + csv_rows(range(50_000_000, 50_000_100)))  # all back
    report = run(
        app, HEADER + csv_rows(range(50_000_000, 50_000_050)), terminate_missing=True, force=True
    )
    assert report.terminated == 50


@both_databases
def test_command_dry_run_guard_and_json(app, runner, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + csv_rows(range(60_000_000, 60_000_020)), encoding="utf-8")
    assert runner.invoke(args=["idp", "import-members", "--quiet", str(path)]).output == ""
    path.write_text(HEADER + csv_rows(range(60_000_000, 60_000_010)), encoding="utf-8")

    dry = runner.invoke(
        args=["idp", "import-members", "--dry-run", "--terminate-missing", "--force", str(path)]
    )
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.strip() == "dry run: added 0, updated 0, rejected 0, terminated 10"

    refused = runner.invoke(args=["idp", "import-members", "--terminate-missing", str(path)])
    assert refused.exit_code == 1
    assert "10 of 20 active members (50.0 %)" in refused.stderr
    assert "--force" in refused.stderr

    forced = runner.invoke(
        args=["idp", "import-members", "--terminate-missing", "--force", "--json", str(path)]
    )
    assert json.loads(forced.stdout)["terminated"] == 10
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(MemberRecord)
                .where(MemberRecord.status == MemberStatus.TERMINATED)
            )
            == 10
        )


@both_databases
def test_same_results_on_both_databases(app):
    """The reference scenario; its expected values are the same literal on both databases."""
    run(
        app,
        HEADER
        + "70000001,Dupont,Marie,1985-04-12,active\n"
        + "70000002,Durand,Luc,1970-01-01,active\n"
        + "70000003,Back\\slash,Tab,1970-01-01,terminated\n",
    )
    report = run(
        app,
        (
            "member_number;last_name;first_name;birth_date;status\n"
            "70000001;Dupont-Martin;Marie;12/04/1985;actif\n"
            "70000002;Durand;Luc;01/01/1970;\n"
            "70000003;Back\\slash;Tab;1970-01-01;active\n"
            "70000004;Cœur;Zoé;29/02/1992;résilié\n"
            "70000005;Cœur;Zoé;29/02/1991;\n"
        ).encode("cp1252"),
    )
    assert report.as_dict() == {
        "added": 1,
        "updated": 2,
        "unchanged": 1,
        "terminated": 0,
        "missing": 0,
        "reinstated": 1,
        "rejected_count": 1,
        "rejected": [
            {"line": 6, "reason": "birth_date must be a real date as YYYY-MM-DD or DD/MM/YYYY"}
        ],
        "dry_run": False,
    }
    assert register(app) == {
        "70000001": ("Dupont-Martin", "Marie", date(1985, 4, 12), MemberStatus.ACTIVE),
        "70000002": ("Durand", "Luc", date(1970, 1, 1), MemberStatus.ACTIVE),
        "70000003": ("Back\\slash", "Tab", date(1970, 1, 1), MemberStatus.ACTIVE),
        "70000004": ("Cœur", "Zoé", date(1992, 2, 29), MemberStatus.TERMINATED),
    }
