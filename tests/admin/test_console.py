"""The admin console: who may enter, and what its buttons change."""

import pytest
from sqlalchemy import select

from idp_extension.db import db
from idp_extension.mail import messages
from idp_extension.models import Account, AccountStatus, AuditEvent, OutboxMessage, OutboxStatus

from ..account.helpers import PASSWORD, finished, login, make_account
from ..conftest import both_databases, csrf_token, page_text

PAGES = ["/admin/", "/admin/membres", "/admin/comptes", "/admin/courriers", "/admin/journal"]


def admin_actions(app):
    with app.app_context():
        return [
            e.details
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.event == "admin_action").order_by(AuditEvent.id)
            )
        ]


def press(browser, page, action, data=None, **kwargs):
    """Press a button of the console page ``page`` that posts to ``action``."""
    html = browser.get(page).get_data(as_text=True)
    assert f'action="{action}"' in html, f"no button posting to {action} on {page}"
    return finished(
        browser.post(action, data={"csrf_token": csrf_token(html), **(data or {})}, **kwargs)
    )


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitor_is_sent_to_login_and_back(app, client, admin_id, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    assert login(client, "admin@mutuelle.test", PASSWORD).headers["Location"] == path


@pytest.mark.parametrize("path", PAGES)
def test_member_without_admin_rights_gets_403(app, client, clock, path):
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    response = client.get(path)
    assert response.status_code == 403
    assert "Vous n'avez pas accès à cette page." in page_text(response)


def test_member_cannot_post_admin_actions(app, client, clock, admin_id):
    make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post(f"/admin/comptes/{admin_id}/desactiver", data={"csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Account, admin_id).status == AccountStatus.ACTIVE


@both_databases
def test_dashboard_counts(app, admin_browser, clock, members):
    make_account(app, clock, email="pending@example.org", status=AccountStatus.PENDING)
    page = page_text(admin_browser.get("/admin/"))
    assert "Tableau de bord" in page
    assert '<th scope="row">Adhérents au registre</th><td>3</td>' in page
    assert '<th scope="row">Comptes actifs</th><td>1</td>' in page
    assert '<th scope="row">Comptes en attente d\'activation</th><td>1</td>' in page


def test_member_registry_search(admin_browser, members):
    by_name = page_text(admin_browser.get("/admin/membres?q=cœur"))
    assert "87654321" in by_name and "12345678" not in by_name
    by_number = page_text(admin_browser.get("/admin/membres?q=1234"))
    assert "12345678" in by_number and "87654321" not in by_number
    everyone = page_text(admin_browser.get("/admin/membres"))
    assert all(number in everyone for number in ("12345678", "87654321", "11112222"))
    wildcard = page_text(admin_browser.get("/admin/membres?q=%25"))
    assert "Aucun adhérent ne correspond." in wildcard


@both_databases
def test_disable_and_enable_an_account(app, admin_browser, clock, admin_id):
    member_id = make_account(app, clock)
    member = app.test_client()
    login(member, "helene@example.org", PASSWORD)
    assert member.get("/").status_code == 200

    page = f"/admin/comptes/{member_id}"
    response = press(admin_browser, page, f"{page}/desactiver")
    assert response.status_code == 302
    assert "Le compte helene@example.org est désactivé" in page_text(admin_browser.get(page))
    assert member.get("/").status_code == 302  # signed out at once
    assert login(member, "helene@example.org", PASSWORD).status_code == 422

    press(admin_browser, page, f"{page}/reactiver")
    assert login(member, "helene@example.org", PASSWORD).status_code == 302
    actions = admin_actions(app)
    assert [a["action"] for a in actions] == ["disable_account", "enable_account"]
    assert actions[0]["target_account_id"] == member_id


def test_admin_cannot_disable_themselves(app, admin_browser, admin_id):
    # No such button is shown for one's own account; a forged post is refused all the same.
    token = csrf_token(admin_browser.get("/").get_data(as_text=True))
    response = admin_browser.post(
        f"/admin/comptes/{admin_id}/desactiver", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert "Vous ne pouvez pas désactiver votre propre compte." in page_text(
        admin_browser.get("/admin/comptes")
    )
    assert admin_actions(app) == []


def test_admin_post_without_csrf_is_refused(app, admin_browser, clock):
    member_id = make_account(app, clock)
    response = admin_browser.post(f"/admin/comptes/{member_id}/desactiver")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Account, member_id).status == AccountStatus.ACTIVE


def test_retry_a_failed_mail(app, admin_browser, smtp, clock):
    member_id = make_account(app, clock)
    with app.test_request_context():
        account = db.session.get(Account, member_id)
        message = messages.password_reset(account, "http://localhost/x", valid_minutes=60)
        db.session.commit()
        message_id = message.id
    # The SMTP server refuses the recipient for good: the message fails at once.
    smtp.handler.refuse_with = "550 No such user"
    with app.app_context():
        from idp_extension.mail import outbox

        outbox.deliver_due()
        assert db.session.get(OutboxMessage, message_id).status == OutboxStatus.FAILED

    page = admin_browser.get("/admin/courriers")
    text = page_text(page)
    assert 'class="mail-failed row-failed"' in text
    assert "550" in text

    smtp.handler.refuse_with = None
    response = press(admin_browser, "/admin/courriers", f"/admin/courriers/{message_id}/renvoyer")
    assert response.status_code == 302
    (received,) = smtp.messages_to("helene@example.org")
    assert received["Subject"] == "Réinitialisation de votre mot de passe"
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == OutboxStatus.SENT
    assert admin_actions(app)[-1]["action"] == "retry_mail"


def test_only_failed_mail_can_be_retried(app, admin_browser, clock):
    member_id = make_account(app, clock)
    with app.test_request_context():
        message = messages.password_reset(
            db.session.get(Account, member_id), "http://localhost/x", valid_minutes=60
        )
        db.session.commit()
        message_id = message.id
    page = page_text(admin_browser.get("/admin/courriers"))
    assert f"/admin/courriers/{message_id}/renvoyer" not in page  # no button for it
    token = csrf_token(admin_browser.get("/").get_data(as_text=True))
    admin_browser.post(f"/admin/courriers/{message_id}/renvoyer", data={"csrf_token": token})
    assert "Seul un message en échec peut être renvoyé." in page_text(
        admin_browser.get("/admin/courriers")
    )


def test_audit_log_shows_latest_events_without_secrets(app, admin_browser):
    login(app.test_client(), "admin@mutuelle.test", "Wrong#Pass1")
    page = page_text(admin_browser.get("/admin/journal"))
    assert "login_failed" in page and "login_succeeded" in page
    assert "Wrong#Pass1" not in page and PASSWORD not in page


def test_anonymous_post_goes_to_login_and_then_home(app, client, clock, admin_id):
    member_id = make_account(app, clock)
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    response = client.post(f"/admin/comptes/{member_id}/desactiver", data={"csrf_token": token})
    assert response.headers["Location"] == "/connexion"
    assert login(client, "admin@mutuelle.test", PASSWORD).headers["Location"] == "/"
    with app.app_context():
        assert db.session.get(Account, member_id).status == AccountStatus.ACTIVE
