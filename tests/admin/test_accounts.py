"""The accounts pages of the console, end to end over HTTP: search, the account page and each
of its buttons, with the mails they send received by the test SMTP server."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from sqlalchemy import select

from idp_extension.db import db
from idp_extension.models import Account, AccountStatus

from ..account.helpers import PASSWORD, finished, login, make_account
from ..conftest import both_databases, csrf_token, page_text
from ..enrollment.conftest import submit_sign_up
from ..mailparse import link_labelled
from ..test_page_markup import duplicate_ids
from .test_console import admin_actions, press


def account_link(html: str, email: str) -> str:
    """The href of the result whose link text includes ``email``."""
    links = {
        text: href for href, text in re.findall(r'<a href="(/admin/comptes/\d+)">([^<]*)</a>', html)
    }
    matching = [href for text, href in links.items() if email in text]
    assert matching, f"no link with {email} in its text among {list(links)}"
    return matching[0]


def search(browser, query: str) -> str:
    response = browser.get("/admin/comptes", query_string={"q": query})
    assert response.status_code == 200
    return page_text(response)


@both_databases
def test_search_ignores_accents_case_and_separators(app, admin_browser, clock):
    helene = make_account(app, clock, email="helene@example.org")
    make_account(app, clock, email="zoe@example.org", first_name="Zoé", last_name="Cœur")
    page = search(admin_browser, "LEFEVRE dupont")
    assert account_link(page, "helene@example.org") == f"/admin/comptes/{helene}"
    assert "zoe@example.org" not in page
    for query in ("coeur", "zoé CŒUR", "ZOE@EXAMPLE"):
        assert "zoe@example.org" in search(admin_browser, query), query
        assert "helene@example.org" not in search(admin_browser, query), query
    # Phone as staff type it, member number, and a wildcard that matches nothing.
    assert "helene@example.org" in search(admin_browser, "06 12 34 56 78")
    assert "helene@example.org" in search(admin_browser, "+33 6 12")
    with app.app_context():
        number = db.session.get(Account, helene).member_number
    page = search(admin_browser, number)
    assert "helene@example.org" in page and "zoe@example.org" not in page
    assert "Aucun compte ne correspond." in search(admin_browser, "%")
    assert "Aucun compte ne correspond." in search(admin_browser, "_")


def test_search_label_and_renamed_account_is_found_by_its_new_name(app, admin_browser, clock):
    page = page_text(admin_browser.get("/admin/comptes"))
    assert re.search(r'<label class="label" for="q">Rechercher</label>', page)
    account_id = make_account(app, clock, email="paul@example.org", first_name="Paul")
    with app.app_context():
        db.session.get(Account, account_id).last_name = "Dûrand"
        db.session.commit()
    assert "paul@example.org" in search(admin_browser, "durand")


def pagination_link(page: str, rel: str) -> str:
    (link,) = re.findall(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(link)


def test_results_are_paginated_by_a_cursor_that_keeps_the_search(app, admin_browser, clock):
    for number in range(55):
        make_account(app, clock, email=f"membre{number:02d}@example.org")
    make_account(app, clock, email="autre@example.org")
    first = page_text(admin_browser.get("/admin/comptes?q=membre"))
    assert first.count('href="/admin/comptes/') == 50 and "Page 1" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    next_link = pagination_link(first, "next")
    assert "q=membre" in next_link and "apres=" in next_link  # a cursor, not an offset
    second = page_text(admin_browser.get(next_link))
    assert second.count('href="/admin/comptes/') == 5 and "Page 2" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    shown = re.findall(r"membre\d\d@example.org", first + second)
    assert len(shown) == 55 == len(set(shown)) and "autre@example.org" not in first + second
    # Newest first, and a row created meanwhile neither repeats nor hides one.
    assert shown[0] == "membre54@example.org" and shown[-1] == "membre00@example.org"
    make_account(app, clock, email="membre99@example.org")
    back = page_text(admin_browser.get(pagination_link(second, "prev")))
    assert re.findall(r"membre\d\d@example.org", back) == shown[:50]
    newest = page_text(admin_browser.get(pagination_link(back, "prev")))
    assert "Page 1" in newest and 'rel="prev"' not in newest
    assert re.findall(r"membre\d\d@example.org", newest)[:2] == [
        "membre99@example.org",
        "membre54@example.org",
    ]
    for odd in ("page=abc", "page=99999999999", "apres=abc", "avant=99999999999999999999"):
        assert admin_browser.get(f"/admin/comptes?{odd}").status_code == 200
    assert admin_browser.get("/admin/comptes?apres=99999999999").status_code == 200


def test_account_page_shows_identity_status_and_history(app, admin_browser, client, clock):
    account_id = make_account(app, clock)
    login(client, "helene@example.org", PASSWORD)
    page = page_text(admin_browser.get(f"/admin/comptes/{account_id}"))
    for expected in (
        "Hélène Lefèvre-Dupont",
        "helene@example.org — vérifiée",
        "+33612345678 — non vérifié",
        "17/05/1980",
        "actif",
        "Sessions ouvertes",
        "login_succeeded",
    ):
        assert expected in page, expected
    assert "Aucune session ouverte." not in page
    assert admin_browser.get("/admin/comptes/999999").status_code == 302
    assert admin_browser.get("/admin/comptes/99999999999").status_code == 302


@both_databases
def test_resend_activation_mails_a_working_link_and_voids_the_old_one(
    app, admin_browser, smtp, members
):
    finished(submit_sign_up(app.test_client()))
    first = smtp.messages_to("helene@example.org")[-1]
    with app.app_context():
        account_id = db.session.scalars(
            select(Account.id).filter_by(email="helene@example.org")
        ).one()
    page = f"/admin/comptes/{account_id}"
    response = press(admin_browser, page, f"{page}/activation")
    assert response.status_code == 302
    assert "Un nouveau lien d'activation est envoyé." in page_text(admin_browser.get(page))
    received = smtp.messages_to("helene@example.org")
    assert len(received) == 2
    member = app.test_client()
    fresh = urlsplit(link_labelled(received[-1], "Activer mon compte")).path
    old = urlsplit(link_labelled(first, "Activer mon compte")).path
    assert "Je définis mon mot de passe" in page_text(member.get(fresh))
    assert "Je définis mon mot de passe" not in page_text(member.get(old))
    assert admin_actions(app)[-1] == {
        "action": "resend_activation",
        "target_account_id": account_id,
    }


def test_unlock_lets_a_locked_member_sign_in_again(app, admin_browser, client, clock):
    account_id = make_account(app, clock)
    for _ in range(app.config["IDP_LOCKOUT_THRESHOLD"]):
        login(client, "helene@example.org", "Wrong#Password1")
    assert login(client, "helene@example.org", PASSWORD).status_code != 302
    page = f"/admin/comptes/{account_id}"
    assert "bloqué" in page_text(admin_browser.get(page))
    press(admin_browser, page, f"{page}/debloquer")
    assert "Le compte est débloqué." in page_text(admin_browser.get(page))
    assert login(client, "helene@example.org", PASSWORD).status_code == 302
    assert admin_actions(app)[-1]["action"] == "unlock_account"
    # Not locked any more: the button is gone and a replayed post says so.
    again = admin_browser.post(
        f"{page}/debloquer", data={"csrf_token": csrf_token(admin_browser.get(page).text)}
    )
    assert "Ce compte n'est pas bloqué." in page_text(admin_browser.get(again.headers["Location"]))


def test_reset_link_is_mailed_and_sets_a_new_password(app, admin_browser, client, smtp, clock):
    account_id = make_account(app, clock)
    page = f"/admin/comptes/{account_id}"
    press(admin_browser, page, f"{page}/reinitialisation")
    assert "Un lien de réinitialisation du mot de passe est envoyé." in page_text(
        admin_browser.get(page)
    )
    (message,) = smtp.messages_to("helene@example.org")
    link = re.search(
        r"https?://\S+/mot-de-passe-oublie/[\w-]+", message.get_body(("plain",)).get_content()
    )
    path = urlsplit(link.group(0)).path
    form = client.get(path)
    assert form.status_code == 200
    new = "Nouveau#Passe2026"
    reply = client.post(
        path,
        data={"csrf_token": csrf_token(form.text), "password": new, "confirm": new},
    )
    assert reply.status_code == 302
    assert login(app.test_client(), "helene@example.org", new).status_code == 302
    assert admin_actions(app)[-1]["action"] == "send_password_reset"


def test_pending_account_gets_no_reset_link(app, admin_browser, smtp, clock):
    account_id = make_account(app, clock, status=AccountStatus.PENDING)
    page = f"/admin/comptes/{account_id}"
    assert "Envoyer un lien de réinitialisation" not in page_text(admin_browser.get(page))
    reply = admin_browser.post(
        f"{page}/reinitialisation", data={"csrf_token": csrf_token(admin_browser.get(page).text)}
    )
    assert "n'est pas actif" in page_text(admin_browser.get(reply.headers["Location"]))
    assert smtp.messages_to("helene@example.org") == []


def test_disable_and_enable_from_the_account_page(app, admin_browser, client, clock):
    account_id = make_account(app, clock)
    page = f"/admin/comptes/{account_id}"
    press(admin_browser, page, f"{page}/desactiver")
    assert "désactivé" in page_text(admin_browser.get(page))
    assert login(client, "helene@example.org", PASSWORD).status_code != 302
    press(admin_browser, page, f"{page}/reactiver")
    assert login(client, "helene@example.org", PASSWORD).status_code == 302
    actions = [details["action"] for details in admin_actions(app)]
    assert actions[-2:] == ["disable_account", "enable_account"]


def test_actions_without_csrf_token_change_nothing(app, admin_browser, clock, smtp):
    account_id = make_account(app, clock)
    page = f"/admin/comptes/{account_id}"
    for action in ("desactiver", "reinitialisation", "export", "supprimer"):
        assert admin_browser.post(f"{page}/{action}").status_code == 400, action
    with app.app_context():
        assert db.session.get(Account, account_id).status == AccountStatus.ACTIVE
    assert smtp.messages_to("helene@example.org") == []
    assert admin_actions(app) == []


def test_admin_cannot_disable_nor_delete_their_own_account(app, admin_browser, admin_id):
    page = f"/admin/comptes/{admin_id}"
    html = page_text(admin_browser.get(page))
    assert f"{page}/desactiver" not in html and "Supprimer le compte" not in html
    token = csrf_token(admin_browser.get(page).text)
    admin_browser.post(f"{page}/supprimer", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Account, admin_id) is not None


def test_account_pages_have_unique_ids(app, admin_browser, clock):
    account_id = make_account(app, clock, status=AccountStatus.PENDING)
    for path in (f"/admin/comptes/{account_id}", f"/admin/comptes/{account_id}/supprimer"):
        response = admin_browser.get(path)
        assert response.status_code == 200
        assert duplicate_ids(response.get_data(as_text=True)) == [], path
