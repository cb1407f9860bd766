"""NUL bytes and control characters typed into member and admin forms: a message, never a 500.

PostgreSQL refuses NUL in any text parameter, so a lookup made with one would crash the
request; SQLite accepts it, which is why these run on both databases.
"""

from __future__ import annotations

import pytest

from ..account.helpers import PASSWORD, login, make_account, post_form
from ..conftest import both_databases, page_text

JUNK = [
    "a\x00b@example.org",
    "helene@exa\x00mple.org",
    "a\x01@example.org",
    "helene@example.org\x7f",
]


@both_databases
@pytest.mark.parametrize("path", ["/connexion", "/mot-de-passe-oublie", "/activation/renvoyer"])
@pytest.mark.parametrize("email", JUNK)
def test_an_email_with_control_characters_is_refused_with_a_message(
    app, client, clock, path, email
):
    make_account(app, clock)
    response = post_form(client, path, {"email": email, "password": PASSWORD})
    assert response.status_code == 422
    assert "Saisissez une adresse email valide" in page_text(response)


@both_databases
@pytest.mark.parametrize("page", ["/admin/membres", "/admin/comptes"])
def test_an_admin_search_with_a_nul_byte_says_so(app, client, clock, page):
    make_account(app, clock, email="admin@mutuelle.test", is_admin=True)
    login(client, "admin@mutuelle.test", PASSWORD)
    response = client.get(page, query_string={"q": "Lef\x00vre"})
    assert response.status_code == 200
    assert "Ce champ contient des caractères non autorisés." in page_text(response)
