"""The dashboard's figures, each set up in the database and read off the page."""

from __future__ import annotations

from datetime import timedelta

from idp_extension.db import db
from idp_extension.models import Account, AccountStatus, AuditEvent, OutboxMessage, OutboxStatus

from ..account.helpers import make_account
from ..conftest import both_databases, page_text


def figure(page: str, label: str) -> int:
    marker = f'<th scope="row">{label}</th><td>'
    assert marker in page, label
    return int(page.split(marker, 1)[1].split("<", 1)[0])


@both_databases
def test_dashboard_figures(app, admin_browser, clock, members):
    start = clock.now()  # the admin was created now
    clock.advance(days=-20)
    make_account(app, clock, email="old@example.org")  # 20 days ago, activated then
    clock.advance(days=18)
    make_account(app, clock, email="late@example.org", status=AccountStatus.PENDING)  # 2 days
    clock.advance(days=2, hours=-2)
    make_account(app, clock, email="fresh@example.org", status=AccountStatus.PENDING)  # 2 h
    clock.advance(hours=2)
    assert clock.now() == start
    disabled = make_account(app, clock, email="gone@example.org")
    today = start.replace(hour=0, minute=1)
    with app.app_context():
        db.session.get(Account, disabled).status = AccountStatus.DISABLED
        db.session.add_all(
            [
                AuditEvent(event="login_failed", created_at=today, details={}),
                AuditEvent(event="login_failed", created_at=start, details={}),
                AuditEvent(event="login_failed", created_at=today - timedelta(hours=2), details={}),
                AuditEvent(event="account_locked", created_at=start, details={}),
                OutboxMessage(
                    kind="activation",
                    recipient="late@example.org",
                    subject="x",
                    body_text="x",
                    message_id="<1@test>",
                    status=OutboxStatus.FAILED,
                ),
            ]
        )
        db.session.commit()

    page = page_text(admin_browser.get("/admin/"))
    assert figure(page, "Adhérents au registre") == 3
    assert figure(page, "Comptes actifs") == 2  # the admin and old@
    assert figure(page, "Comptes en attente d'activation") == 2
    assert figure(page, "Comptes désactivés") == 1
    assert figure(page, "Inscriptions sur 7 jours") == 4  # admin, late, fresh, gone
    assert figure(page, "Inscriptions sur 30 jours") == 5
    assert figure(page, "Activations sur 7 jours") == 2  # admin, gone
    assert figure(page, "Activations sur 30 jours") == 3
    assert figure(page, "En attente d'activation depuis plus de 24 h") == 1
    assert figure(page, "Connexions échouées") == 2  # yesterday's one is not today's
    assert figure(page, "Blocages de compte") == 1
    assert figure(page, "Courriers en échec") == 1
    assert 'href="/admin/courriers"' in page


def test_whole_table_figures_are_counted_at_most_every_30_seconds(app, admin_browser, clock):
    """A pass over every account is not paid at each reload; a failed mail shows at once."""
    before = figure(page_text(admin_browser.get("/admin/")), "Comptes actifs")
    make_account(app, clock, email="new@example.org")
    with app.app_context():
        db.session.add(
            OutboxMessage(
                kind="activation",
                recipient="new@example.org",
                subject="x",
                body_text="x",
                message_id="<2@test>",
                status=OutboxStatus.FAILED,
            )
        )
        db.session.commit()
    clock.advance(seconds=29)
    page = page_text(admin_browser.get("/admin/"))
    assert figure(page, "Comptes actifs") == before
    assert figure(page, "Courriers en échec") == 1
    clock.advance(seconds=1)
    assert figure(page_text(admin_browser.get("/admin/")), "Comptes actifs") == before + 1
