"""The audit journal of the console: filters, pages, and a CSV export that a spreadsheet
cannot turn into formulas."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from idp_extension.clock import as_utc
from idp_extension.db import db
from idp_extension.models import AuditEvent

from ..account.helpers import make_account
from ..conftest import both_databases, page_text
from .test_console import admin_actions


def add_events(app, *events):
    with app.app_context():
        db.session.add_all(AuditEvent(**{"details": {}, **event}) for event in events)
        db.session.commit()


def day(number, hour=12):
    return datetime(2026, 11, number, hour, 0, tzinfo=UTC)


@pytest.fixture
def history(app, clock, admin_id):
    """Hélène's and Zoé's events over three days of November."""
    helene = make_account(app, clock, email="helene@example.org")
    zoe = make_account(app, clock, email="zoe@example.org", first_name="Zoé")
    add_events(
        app,
        dict(event="login_failed", account_id=helene, created_at=day(3), ip_address="10.0.0.1"),
        dict(event="login_succeeded", account_id=helene, created_at=day(4, 23)),
        dict(event="login_failed", account_id=zoe, created_at=day(5, 0), ip_address="10.0.0.2"),
    )
    return {"helene": helene, "zoe": zoe}


def rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@both_databases
def test_filters_by_account_event_and_dates(admin_browser, history):
    def shown(**args):
        page = page_text(admin_browser.get("/admin/journal", query_string=args))
        return sorted(ip for ip in ("10.0.0.1", "10.0.0.2") if ip in page), page

    assert shown(compte="helene@example.org", evenement="login_failed")[0] == ["10.0.0.1"]
    assert shown(compte=str(history["zoe"]))[0] == ["10.0.0.2"]
    assert shown(evenement="login_failed", du="2026-11-04")[0] == ["10.0.0.2"]
    assert shown(evenement="login_failed", au="2026-11-04")[0] == ["10.0.0.1"]
    both, page = shown(evenement="login_failed", du="2026-11-03", au="2026-11-05")
    assert both == ["10.0.0.1", "10.0.0.2"]
    assert "login_succeeded" not in page.split("<tbody>")[1]
    nobody, page = shown(compte="personne@example.org")
    assert nobody == [] and "Aucun événement." in page


def test_filter_labels_and_bad_filters_get_a_message(admin_browser, history):
    page = page_text(admin_browser.get("/admin/journal"))
    for label, name in (
        ("Compte", "compte"),
        ("Événement", "evenement"),
        ("Du", "du"),
        ("Au", "au"),
    ):
        assert f'<label class="label" for="{name}">{label}</label>' in page
    assert "Exporter en CSV" in page
    bad_date = admin_browser.get("/admin/journal?du=31/02/2026")
    assert bad_date.status_code == 422 and "Erreur" in page_text(bad_date)
    backwards = admin_browser.get("/admin/journal?du=2026-11-05&au=2026-11-01")
    assert "La date de fin précède la date de début." in page_text(backwards)
    unknown = admin_browser.get("/admin/journal?evenement=nope")
    assert unknown.status_code == 422
    assert admin_browser.get("/admin/journal/export.csv?du=x").status_code == 422


@both_databases
def test_journal_pages_by_cursor_and_keeps_its_filters(app, admin_browser, admin_id):
    add_events(
        app, *(dict(event="logout", account_id=admin_id, details={"n": n}) for n in range(110))
    )
    first = page_text(admin_browser.get("/admin/journal?evenement=logout"))
    assert first.count("<td>logout</td>") == 50 and 'rel="prev"' not in first
    pages = [first]
    while 'rel="next"' in pages[-1]:
        (link,) = re.findall(r'<a href="([^"]+)" rel="next">', pages[-1])
        link = html.unescape(link)
        assert "evenement=logout" in link and "apres=" in link
        pages.append(page_text(admin_browser.get(link)))
    assert [page.count("<td>logout</td>") for page in pages] == [50, 50, 10]
    assert "Page 3" in pages[-1] and 'rel="prev"' in pages[-1]
    (back,) = re.findall(r'<a href="([^"]+)" rel="prev">', pages[-1])
    again = page_text(admin_browser.get(html.unescape(back)))
    assert re.findall(r"<td>n=(\d+)</td>", again) == re.findall(r"<td>n=(\d+)</td>", pages[1])
    assert "Page 2" in again
    # Every event shown once, newest first across the pages.
    shown = [int(n) for n in re.findall(r"<td>n=(\d+)</td>", "".join(pages))]
    assert shown == list(range(109, -1, -1))


@both_databases
def test_csv_export_follows_the_filters_and_is_audited(app, admin_browser, history, admin_id):
    page = page_text(admin_browser.get("/admin/journal?compte=helene@example.org"))
    (link,) = re.findall(r'href="(/admin/journal/export\.csv[^"]*)"', page)
    assert link == "/admin/journal/export.csv?compte=helene@example.org"
    table = rows(admin_browser.get(link))
    assert table[0] == ["date", "event", "account_id", "client_id", "ip_address", "details"]
    assert [row[1] for row in table[1:]] == ["login_succeeded", "login_failed"]
    assert {row[2] for row in table[1:]} == {str(history["helene"])}
    assert table[2][0] == "2026-11-03T12:00:00+00:00"
    assert admin_actions(app)[-1] == {
        "action": "export_audit",
        "filter_compte": "helene@example.org",
    }


def test_csv_export_neutralises_formulas(app, admin_browser, admin_id):
    add_events(
        app,
        dict(event='=HYPERLINK("http://evil")', client_id="+33612345678", ip_address="@SUM(A1)"),
        dict(event="-2+3", client_id="\tcmd", ip_address="10.0.0.9"),
        dict(event="login_failed", client_id="portail-1", ip_address="10.0.0.9"),
    )
    table = rows(admin_browser.get("/admin/journal/export.csv"))
    cells = [cell for row in table[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert "'+33612345678" in cells and "'@SUM(A1)" in cells
    assert "'-2+3" in cells and "'\tcmd" in cells
    assert "login_failed" in cells and "portail-1" in cells  # plain text stays as it is
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


@both_databases
def test_audit_rows_take_the_applications_clock(app, admin_browser, admin_id, clock):
    """The journal's dates are business time (the injected clock), not the server's wall clock:
    a clock a year behind writes a year-old date."""
    clock.advance(days=-365)
    rows(admin_browser.get("/admin/journal/export.csv"))  # an audited admin action
    with app.app_context():
        exported = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "admin_action")
        ).all()[-1]
        assert exported.details["action"] == "export_audit"
        assert as_utc(exported.created_at) == clock.now()
