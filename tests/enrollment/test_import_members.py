"""import-members: the insurer's CSV export, in the encodings and separators it comes in."""

import json
from datetime import date

import pytest
from sqlalchemy import select

from idp_extension.db import db
from idp_extension.enrollment.importing import ImportFileError, import_members
from idp_extension.models import MemberRecord, MemberStatus


def register(app) -> dict[str, MemberRecord]:
    with app.app_context():
        records = db.session.scalars(select(MemberRecord)).all()
        db.session.expunge_all()
        return {record.member_number: record for record in records}


def run_import(app, data: bytes):
    with app.app_context():
        return import_members(data)


def test_utf8_with_bom_and_commas(app):
    data = (
        "\ufeffmember_number,last_name,first_name,birth_date,status\n"
        "12345678,Lefèvre-Dupont,Hélène,1980-05-17,active\n"
        "87654321,Cœur,Zoé,1992-02-29,terminated\n"
    ).encode()
    report = run_import(app, data)
    assert (report.added, report.updated, report.rejected) == (2, 0, [])
    members = register(app)
    assert members["12345678"].last_name == "Lefèvre-Dupont"
    assert members["87654321"].first_name == "Zoé"
    assert members["87654321"].status == MemberStatus.TERMINATED


def test_latin1_with_semicolons_and_french_dates(app):
    data = (
        "member_number;last_name;first_name;birth_date\r\n"
        "12345678;Lefèvre-Dupont;Hélène;17/05/1980\r\n"
        "23456789;Müller;Jürgen;24/12/1969\r\n"
    ).encode("latin-1")
    report = run_import(app, data)
    assert report.added == 2 and not report.rejected
    members = register(app)
    assert members["23456789"].last_name == "Müller"
    assert members["12345678"].birth_date == date(1980, 5, 17)
    assert members["12345678"].status == MemberStatus.ACTIVE  # no status column: active


def test_windows_1252_oe_ligature_is_read(app):
    data = "member_number;last_name;first_name;birth_date\n87654321;Cœur;Zoé;29/02/1992\n"
    run_import(app, data.encode("cp1252"))
    assert register(app)["87654321"].last_name == "Cœur"


def test_bad_rows_are_reported_by_line_number_and_the_rest_imported(app):
    data = (
        "member_number,last_name,first_name,birth_date,status\n"
        "12345678,Dupont,Marie,1985-04-12,active\n"
        "1234567,Court,Numéro,1985-04-12,active\n"
        "\n"
        "23456789,Date,Fausse,31/02/1990,active\n"
        "34567890,,Vide,1990-01-01,active\n"
        "45678901,Statut,Inconnu,1990-01-01,suspended\n"
        "56789012,Trop,De,1990-01-01,active,colonnes\n"
        "12345678,Dupont,Double,1985-04-12,active\n"
        "67890123,Bon,Dernier,01/02/2003,\n"
    ).encode()
    report = run_import(app, data)
    assert report.added == 2
    lines = {row.line: row.reason for row in report.rejected}
    assert sorted(lines) == [3, 5, 6, 7, 8, 9]
    assert "8 digits" in lines[3]
    assert "birth_date" in lines[5]
    assert "last_name" in lines[6]
    assert "status" in lines[7]
    assert "columns" in lines[8]
    assert "line 2" in lines[9]
    assert set(register(app)) == {"12345678", "67890123"}


def test_upsert_updates_by_member_number(app):
    run_import(
        app,
        b"member_number,last_name,first_name,birth_date\n"
        b"12345678,Dupont,Marie,1985-04-12\n23456789,Durand,Luc,1970-01-01\n",
    )
    report = run_import(
        app,
        b"member_number,last_name,first_name,birth_date,status\n"
        b"12345678,Dupont-Martin,Marie,1985-04-12,active\n"
        b"23456789,Durand,Luc,1970-01-01,active\n"
        b"34567890,Neuf,Adh\xc3\xa9rent,2000-06-30,active\n",
    )
    assert (report.added, report.updated, report.unchanged) == (1, 1, 1)
    assert report.summary() == "added 1, updated 1, rejected 0"
    members = register(app)
    assert len(members) == 3
    assert members["12345678"].last_name == "Dupont-Martin"


@pytest.mark.parametrize("data", [b"", b"\n\n", b"nom,prenom\nDupont,Marie\n"])
def test_unusable_file_imports_nothing(app, data):
    with pytest.raises(ImportFileError):
        run_import(app, data)
    assert register(app) == {}


def test_command_prints_summary_and_rejections(app, runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(
        "member_number;last_name;first_name;birth_date\n"
        "12345678;Dupont;Marie;12/04/1985\n"
        "ABCDEFGH;Lettres;Numéro;12/04/1985\n".encode("latin-1")
    )
    result = runner.invoke(args=["idp", "import-members", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "added 1, updated 0, rejected 1"
    assert f"{path}:3: rejected: member_number must be exactly 8 digits" in result.stderr


def test_command_json(app, runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_text(
        "member_number,last_name,first_name,birth_date\n12345678,Dupont,Marie,1985-04-12\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["idp", "import-members", "--json", str(path)])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "added": 1,
        "updated": 0,
        "unchanged": 0,
        "terminated": 0,
        "missing": 0,
        "reinstated": 0,
        "rejected_count": 0,
        "rejected": [],
        "dry_run": False,
    }


def test_command_fails_on_an_unusable_file(app, runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("prenom,nom\nMarie,Dupont\n", encoding="utf-8")
    result = runner.invoke(args=["idp", "import-members", str(path)])
    assert result.exit_code != 0
    assert "member_number" in result.stderr
    assert register(app) == {}


def test_demo_sample_file_imports_cleanly(app):
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "demo" / "sample-members.csv"
    report = run_import(app, sample.read_bytes())
    assert not report.rejected and report.added >= 10
    members = register(app)
    assert members["12345678"].last_name == "DUPONT"
    assert any(m.status == MemberStatus.TERMINATED for m in members.values())
