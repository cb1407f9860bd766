"""The provider embedded in a host application (examples/host_app) under /idp.

The host has its own Flask-SQLAlchemy and model, CSRFProtect, Flask-Limiter, 404 handler,
after_request hook and templates. The provider's tables come from ``flask idp upgrade-db``; a
member signs up (the activation mail is received by a real SMTP server), a relying party runs
the authorization code flow and redeems the code at /idp/token without any CSRF token; the
host's pages, 404, CSRF refusal and model behave as they did without the provider.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet

from examples.host_app import app as host_module

from .conftest import csrf_token
from .enrollment.conftest import valid_form
from .mailparse import link_labelled

PASSWORD = "Printemps#2026"
CALLBACK = "https://portail.example/callback"
MEMBERS_CSV = "member_number,last_name,first_name,birth_date\n24681357,Bernard,Léa,1990-01-02\n"


@pytest.fixture
def host(tmp_path, smtp):
    database = f"sqlite:///{tmp_path / 'host.sqlite3'}"
    app = host_module.create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database,
            "IDP_DATABASE_URL": database,
            "IDP_ISSUER": "http://localhost",
            "IDP_MAIL_SERVER": "127.0.0.1",
            "IDP_MAIL_PORT": smtp.port,
            "IDP_ARGON2_TIME_COST": 1,
            "IDP_ARGON2_MEMORY_COST": 1024,
            "IDP_ARGON2_PARALLELISM": 1,
        }
    )
    cli = app.test_cli_runner()
    for command in (["db-create"], ["idp", "upgrade-db"]):
        result = cli.invoke(args=command)
        assert result.exit_code == 0, result.output
    members = tmp_path / "members.csv"
    members.write_text(MEMBERS_CSV, encoding="utf-8")
    assert cli.invoke(args=["idp", "import-members", str(members)]).exit_code == 0
    yield app
    with app.app_context():
        host_module.db.session.remove()
        host_module.db.engine.dispose()
        app.extensions["idp"].engine.dispose()


def sign_up(browser, smtp) -> str:
    """Sign up as Léa Bernard; the path of the activation link received by mail."""
    page = browser.get("/idp/inscription")
    assert page.status_code == 200
    response = browser.post(
        "/idp/inscription",
        data=valid_form(
            first_name="Léa",
            last_name="Bernard",
            birth_date="1990-01-02",
            member_number="24681357",
            email="lea@example.org",
            email_confirm="lea@example.org",
            phone="0611223344",
            phone_confirm="0611223344",
            csrf_token=csrf_token(page.get_data(as_text=True)),
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/idp/inscription/email-envoye"
    response.close()  # the mail leaves once the answer is out
    [message] = smtp.messages_to("lea@example.org")
    link = link_labelled(message, "Activer mon compte")
    assert link.startswith("http://localhost/idp/activation/")
    return urlsplit(link).path


def test_host_app_embeds_the_provider_under_idp(host, smtp):
    browser = host.test_client()

    # Sign-up with the mailed activation link, then the first password: signed in.
    path = sign_up(browser, smtp)
    page = browser.get(path)
    done = browser.post(
        path,
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    # Signed in; the next page (the account, or the phone check) is the provider's, under /idp.
    assert done.status_code == 302 and done.headers["Location"].startswith("/idp/")

    # A relying party, registered with the provider's own command.
    created = host.test_cli_runner().invoke(
        args=["idp", "create-client", "Portail", "--redirect-uri", CALLBACK, "--json"]
    )
    assert created.exit_code == 0, created.output
    client = json.loads(created.output)

    discovery = browser.get("/idp/.well-known/openid-configuration").get_json()
    assert discovery["issuer"] == "http://localhost/idp"
    assert discovery["token_endpoint"] == "http://localhost/idp/token"
    assert discovery["authorization_endpoint"] == "http://localhost/idp/authorize"

    # Authorization code flow with PKCE; the member consents on the provider's page.
    verifier = "v" * 64
    authorize = browser.get(
        "/idp/authorize",
        query_string={
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": CALLBACK,
            "scope": "openid email",
            "state": "s1",
            "nonce": "n1",
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        },
    )
    assert authorize.status_code == 200, authorize.headers.get("Location")
    consent_page = authorize.get_data(as_text=True)
    form_action = re.search(r'<form[^>]+action="([^"]+)"', consent_page).group(1)
    assert form_action.startswith("/idp/")
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent_page))
    answer = browser.post(
        form_action,
        data={**fields, "csrf_token": csrf_token(consent_page), "decision": "allow"},
    )
    assert answer.status_code == 302
    callback = urlsplit(answer.headers["Location"])
    params = {key: values[0] for key, values in parse_qs(callback.query).items()}
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == CALLBACK
    assert params["state"] == "s1" and params["iss"] == "http://localhost/idp"

    # The relying party's server redeems the code: no CSRF token, the host's CSRFProtect is on.
    relying_party = host.test_client()
    token = relying_party.post(
        "/idp/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(client["client_id"], client["client_secret"]),
    )
    assert token.status_code == 200, token.get_data(as_text=True)
    tokens = token.get_json()
    keys = KeySet.import_key_set(relying_party.get("/idp/jwks.json").get_json())
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert claims["iss"] == "http://localhost/idp"
    assert claims["aud"] == client["client_id"] and claims["nonce"] == "n1"
    userinfo = relying_party.get(
        "/idp/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.status_code == 200
    assert userinfo.get_json()["email"] == "lea@example.org"


def test_the_host_keeps_its_pages_404_csrf_and_model(host, smtp):
    browser = host.test_client()
    sign_up(browser, smtp)  # the provider at work in the same application

    home = browser.get("/")
    assert home.status_code == 200
    assert "Portail de la mutuelle" in home.get_data(as_text=True)
    # The host's hook runs on its pages; the provider's headers and limits do not.
    assert home.headers["X-Host-App"] == "mutuelle-portail"
    assert "Content-Security-Policy" not in home.headers
    assert "X-RateLimit-Limit" in home.headers  # the host's own Flask-Limiter still counts

    # The host's 404, on its addresses and on an unknown address under /idp alike.
    for missing in ("/nulle-part", "/idp/nulle-part"):
        answer = browser.get(missing)
        assert answer.status_code == 404
        assert "Page du portail introuvable" in answer.get_data(as_text=True)

    # The host's CSRFProtect still refuses its own form posted without a token...
    refused = browser.post("/notes", data={"text": "sans jeton"})
    assert refused.status_code == 400
    # ...and takes it with one; the note lands in the host's own table.
    form = browser.get("/notes").get_data(as_text=True)
    added = browser.post("/notes", data={"csrf_token": csrf_token(form), "text": "Bonjour"})
    assert added.status_code == 302
    assert "Bonjour" in browser.get("/").get_data(as_text=True)

    with host.app_context():
        notes = host_module.db.session.scalars(host_module.db.select(host_module.Note)).all()
        assert [note.text for note in notes] == ["Bonjour"]
        tables = set(sa.inspect(host_module.db.engine).get_table_names())
    # One database, two histories: the host's tables and the provider's, each with its own.
    assert {"note", "accounts", "idp_alembic_version"} <= tables
    assert "alembic_version" not in tables
    # The provider's provider pages keep their own headers.
    assert (
        "frame-ancestors 'none'" in browser.get("/idp/connexion").headers["Content-Security-Policy"]
    )
    assert "X-Host-App" in browser.get("/idp/connexion").headers
