"""The register page /admin/membres: search and pages, a member's record, ending a membership,
and the import in two steps: ``Prévisualiser`` writes nothing, ``Appliquer l'import`` writes."""

from __future__ import annotations

import html
import io
import re
from datetime import date

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from idp_extension.db import db
from idp_extension.models import Account, AccountStatus, AuditEvent, MemberRecord, MemberStatus

from ..account.helpers import PASSWORD, finished, login, make_account
from ..conftest import both_databases, configure, csrf_token, page_text
from .test_console import admin_actions, press

HEADER = "member_number;last_name;first_name;birth_date;status\n"


def register(app) -> dict[str, tuple]:
    with app.app_context():
        return {
            m.member_number: (m.last_name, m.first_name, m.birth_date, m.status)
            for m in db.session.scalars(select(MemberRecord))
        }


def upload(browser, data: bytes, filename="adherents.csv", **fields):
    """Choose a file in ``Fichier`` and press ``Prévisualiser``."""
    return press(
        browser,
        "/admin/membres",
        "/admin/membres/import",
        {"file": (io.BytesIO(data), filename), **fields},
        content_type="multipart/form-data",
    )


def apply(browser, preview):
    """Press ``Appliquer l'import`` on a preview page."""
    html = preview.get_data(as_text=True)
    assert "Appliquer l&#39;import" in html or "Appliquer l'import" in html
    upload_token = re.search(r'name="upload" type="hidden" value="([^"]+)"', html).group(1)
    terminate = re.search(r'name="terminate_missing" type="hidden" value="([^"]*)"', html).group(1)
    return finished(
        browser.post(
            "/admin/membres/import/appliquer",
            data={
                "csrf_token": csrf_token(html),
                "upload": upload_token,
                "terminate_missing": terminate,
            },
        )
    )


def uploads(app) -> list:
    folder = app.instance_path + "/imports"
    import os

    return os.listdir(folder) if os.path.isdir(folder) else []


@both_databases
def test_the_preview_writes_nothing_until_applied(app, admin_browser, members):
    before = register(app)
    data = (
        HEADER
        + "20000001;Durand;Léa;1990-01-31;\n"
        + "20000002;Petit;Noé;02/03/1985;\n"
        + "123;Court;Numéro;1990-01-31;\n"
        + "12345678;Lefèvre-Martin;Hélène;17/05/1980;actif\n"
    ).encode()
    preview = upload(admin_browser, data)
    text = page_text(preview)
    assert preview.status_code == 200
    assert "Rien n'a encore été écrit." in text
    assert "2 adhérents ajoutés" in text and "1 fiches mises à jour" in text
    assert "1 lignes refusées" in text
    assert "ligne 4 : member_number must be exactly 8 digits" in text
    assert "Noé" in text and "Lefèvre-Martin" in text  # the rows it would add and change
    assert register(app) == before
    assert not [a for a in admin_actions(app) if a["action"] == "import_members"]

    done = apply(admin_browser, preview)
    assert done.status_code == 302
    page = page_text(admin_browser.get("/admin/membres"))
    assert "Import terminé : 2 ajoutés, 1 mis à jour" in page
    after = register(app)
    assert after["20000002"] == ("Petit", "Noé", date(1985, 3, 2), MemberStatus.ACTIVE)
    assert after["12345678"][0] == "Lefèvre-Martin"
    assert len(after) == len(before) + 2
    assert admin_actions(app)[-1]["action"] == "import_members"
    assert uploads(app) == []  # the file is gone once applied
    # Applying the same preview twice imports nothing more.
    again = apply(admin_browser, preview)
    assert "plus disponible" in page_text(admin_browser.get(again.headers["Location"]))


@both_databases
def test_a_full_export_preview_names_the_members_it_would_terminate(app, admin_browser, members):
    data = HEADER + "12345678;Lefèvre-Dupont;Hélène;17/05/1980;\n"  # 87654321 is missing
    refused = upload(admin_browser, data.encode(), terminate_missing="y")
    # 1 of 2 active members (50 %): the guard refuses, the preview says why.
    assert refused.status_code == 422
    assert "1 des 2 adhérents actifs (plus de 5 %)" in page_text(refused)

    configure(app, IDP_IMPORT_TERMINATE_MAX_PERCENT=60)
    preview = upload(admin_browser, data.encode(), terminate_missing="y")
    text = page_text(preview)
    assert "1 adhésions résiliées (dont 1 absentes du fichier)" in text
    assert "87654321" in text and "Cœur" in text
    assert register(app)["87654321"][3] == MemberStatus.ACTIVE
    apply(admin_browser, preview)
    assert register(app)["87654321"][3] == MemberStatus.TERMINATED


def test_bad_files_are_refused_with_a_message(app, admin_browser):
    empty = upload(admin_browser, b"", "vide.csv")
    assert empty.status_code == 422
    assert "Ce fichier ne peut pas être lu comme un registre d'adhérents" in page_text(empty)
    wrong = upload(admin_browser, b"nom,prenom\nDupont,Marie\n")
    assert wrong.status_code == 422 and "the header lacks member_number" in page_text(wrong)
    missing = press(
        admin_browser,
        "/admin/membres",
        "/admin/membres/import",
        {},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422
    assert "Choisissez un fichier CSV." in page_text(missing)
    assert uploads(app) == []
    bogus = finished(
        admin_browser.post(
            "/admin/membres/import/appliquer",
            data={
                "csrf_token": csrf_token(admin_browser.get("/admin/membres").get_data(True)),
                "upload": "../../etc/passwd",
            },
        )
    )
    assert bogus.status_code == 302
    assert "plus disponible" in page_text(admin_browser.get("/admin/membres"))


def post_large_file(browser, page: str, data: bytes):
    """Post a large file as a browser does, with its CSRF token. The body is encoded here, in
    memory: the test client would spool it to a temporary file it never closes."""
    fields = {"csrf_token": csrf_token(browser.get(page).get_data(as_text=True))}
    fields["file"] = FileStorage(io.BytesIO(data), filename="adherents.csv")
    boundary, body = encode_multipart(fields)
    return finished(
        browser.post(
            "/admin/membres/import",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
    )


def test_a_large_file_is_taken_by_an_admin_beyond_the_site_wide_body_limit(
    app, admin_browser, client, clock
):
    rows = "".join(f"{30000000 + n};Nom{n};Prénom;1980-01-02;\n" for n in range(20_000))
    data = (HEADER + rows).encode()
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    preview = post_large_file(admin_browser, "/admin/membres", data)
    assert preview.status_code == 200
    assert "20000 adhérents ajoutés" in page_text(preview)
    # A member (not an admin) keeps the site-wide limit: refused before anything is read.
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    assert post_large_file(client, "/", data).status_code == 413


def test_pages_of_fifty(app, admin_browser):
    with app.app_context():
        db.session.add_all(
            MemberRecord(
                member_number=f"{40000000 + n}",
                last_name=f"Nom{n}",
                first_name="Prénom",
                birth_date=date(1980, 1, 2),
            )
            for n in range(120)
        )
        db.session.commit()
    first = page_text(admin_browser.get("/admin/membres"))
    assert "40000049" in first and "40000050" not in first
    assert "Page suivante" in first
    pages = [first]
    while 'rel="next"' in pages[-1]:
        (link,) = re.findall(r'<a href="([^"]+)" rel="next">', pages[-1])
        assert "apres=" in link  # a cursor on the member number, not an offset
        pages.append(page_text(admin_browser.get(html.unescape(link))))

    def numbers(page):  # as shown in the table, not in the links' cursors
        return re.findall(r">(4000\d{4})<", page)

    assert len(pages) == 3 and "Page 3" in pages[-1]
    assert numbers(pages[-1]) == [f"{40000100 + n}" for n in range(20)]
    assert [n for page in pages for n in numbers(page)] == [f"{40000000 + n}" for n in range(120)]
    (back,) = re.findall(r'<a href="([^"]+)" rel="prev">', pages[-1])
    second = page_text(admin_browser.get(html.unescape(back)))
    assert "Page 2" in second and numbers(second) == numbers(pages[1])
    in_search = page_text(admin_browser.get("/admin/membres?q=4000"))
    (link,) = re.findall(r'<a href="([^"]+)" rel="next">', in_search)
    assert "q=4000" in html.unescape(link)
    found = page_text(admin_browser.get("/admin/membres?q=nom11"))
    assert "40000011" in found and "40000110" in found and "40000012" not in found


@both_databases
def test_an_admin_corrects_a_record(app, admin_browser, members):
    html = admin_browser.get("/admin/membres/12345678").get_data(as_text=True)
    assert 'value="Lefèvre-Dupont"' in html
    bad = admin_browser.post(
        "/admin/membres/12345678",
        data={
            "csrf_token": csrf_token(html),
            "last_name": "Lefèvre",
            "first_name": "Hélène",
            "birth_date": "31/02/1980",
        },
    )
    assert bad.status_code == 422 and "Indiquez une date réelle" in page_text(bad)
    saved = admin_browser.post(
        "/admin/membres/12345678",
        data={
            "csrf_token": csrf_token(html),
            "last_name": "  Lefèvre  ",
            "first_name": "Hélène",
            "birth_date": "18/05/1980",
        },
    )
    assert saved.status_code == 302
    assert register(app)["12345678"][:3] == ("Lefèvre", "Hélène", date(1980, 5, 18))
    action = admin_actions(app)[-1]
    assert action["action"] == "update_member"
    assert action["changed"] == ["birth_date", "last_name"]
    assert admin_browser.get("/admin/membres/99999999").status_code == 302


@both_databases
def test_terminating_a_member_suspends_their_account_until_reinstated(
    app, admin_browser, client, clock, members
):
    from ..account.helpers import get_account

    with app.app_context():
        account_id = make_account(app, clock, email="zoe@example.org")
        db.session.get(Account, account_id).member_number = "87654321"
        db.session.commit()
    assert login(client, "zoe@example.org", PASSWORD).status_code == 302

    page = admin_browser.get("/admin/membres/87654321").get_data(as_text=True)
    assert "/admin/membres/87654321/resilier" in page
    confirmation = page_text(admin_browser.get("/admin/membres/87654321/resilier"))
    assert "Son compte zoe@example.org sera suspendu" in confirmation
    done = press(
        admin_browser, "/admin/membres/87654321/resilier", "/admin/membres/87654321/resilier"
    )
    assert done.status_code == 302
    assert register(app)["87654321"][3] == MemberStatus.TERMINATED
    assert get_account(app, account_id).status == AccountStatus.SUSPENDED
    assert client.get("/").status_code == 302  # her session ended
    refused = login(client, "zoe@example.org", PASSWORD)
    assert "Votre espace client est suspendu." in page_text(refused)
    assert admin_actions(app)[-1] == {
        "action": "terminate_member",
        "member_number": "87654321",
        "accounts": 1,
    }

    press(admin_browser, "/admin/membres/87654321", "/admin/membres/87654321/retablir")
    assert get_account(app, account_id).status == AccountStatus.ACTIVE
    assert login(client, "zoe@example.org", PASSWORD).status_code == 302
    with app.app_context():
        suspended = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.event.in_(["account_suspended", "account_reinstated"]))
        )
    assert suspended == 2
