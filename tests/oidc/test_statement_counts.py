"""SQL statements per request on the hot paths, each with a ceiling: a change that makes a
login or a token request talk more to the database fails here before it shows in production.

Counted as the database sees them (statements sent, BEGIN/COMMIT aside), on SQLite and
PostgreSQL, for a signed-in member and a confidential first-party client.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from ..conftest import birth_date_fields, both_databases, configure, csrf_token
from ..sql_statements import counted_statements
from .conftest import PASSWORD, RP_CALLBACK

CEILINGS = {
    # session, client, nonce check, audit, code
    "authorize": 5,
    # account, the lockout count (committed before the hash), its reset, the register's word
    # on the membership, audit; SSO session, its audit. The account is not read again after
    # each commit (the session keeps what it loaded, expire_on_commit=False)
    "login POST": 7,
    # the register, the member's account and the address's holder (one read), account,
    # outbox mail, activation link, the two audit rows (one INSERT on PostgreSQL; SQLite sends
    # one each, see SQLITE_EXTRA)
    "sign-up POST": 6,
    # client, code with its account, code consumed, audit, token (the signing key is chosen
    # once per JWKS_SERVER_CACHE_SECONDS, like the JWKS)
    "token": 5,
    # token with its client and account
    "userinfo": 1,
    # client, token with its account and its grant's scope, the register's word on the
    # membership, rotation, audit, token
    "refresh": 6,
}
# SQLite's driver gets no multi-row INSERT ... RETURNING from SQLAlchemy: one more statement.
SQLITE_EXTRA = {"sign-up POST": 1}


@pytest.fixture
def authorize_params(rp_client):
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "response_type": "code",
        "client_id": rp_client.client_id,
        "redirect_uri": RP_CALLBACK,
        "scope": "openid profile email phone member",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    return params, verifier


@both_databases
def test_hot_paths_stay_under_their_statement_ceilings(
    app, client, member, rp_client, authorize_params
):
    counts = {}
    basic = base64.b64encode(f"{rp_client.client_id}:{rp_client.client_secret}".encode())
    auth = {"Authorization": f"Basic {basic.decode()}"}
    rp = app.test_client()
    client.get("/jwks.json")  # the signing key exists before we count

    form = client.get("/connexion").get_data(as_text=True)
    with counted_statements(app) as statements:
        reply = client.post(
            "/connexion",
            data={"csrf_token": csrf_token(form), "email": member["email"], "password": PASSWORD},
        )
    assert reply.status_code == 302
    counts["login POST"] = len(statements)

    params, verifier = authorize_params
    # One exchange before counting: the signing key is then chosen, as on a running server.
    code = parse_qs(urlsplit(client.get("/authorize", query_string=params).location).query)
    exchange = {"grant_type": "authorization_code", "code": code["code"][0]}
    exchange.update(redirect_uri=RP_CALLBACK, code_verifier=verifier)
    assert rp.post("/token", headers=auth, data=exchange).status_code == 200

    with counted_statements(app) as statements:
        reply = client.get("/authorize", query_string=params)
    assert reply.status_code == 302 and reply.headers["Location"].startswith(RP_CALLBACK)
    counts["authorize"] = len(statements)
    code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]

    with counted_statements(app) as statements:
        reply = rp.post(
            "/token",
            headers=auth,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": RP_CALLBACK,
                "code_verifier": verifier,
            },
        )
    assert reply.status_code == 200 and reply.json["id_token"]
    counts["token"] = len(statements)
    token = reply.json

    with counted_statements(app) as statements:
        reply = rp.get("/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert reply.status_code == 200 and reply.json["sub"] == member["subject"]
    counts["userinfo"] = len(statements)

    with counted_statements(app) as statements:
        reply = rp.post(
            "/token",
            headers=auth,
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        )
    assert reply.status_code == 200 and reply.json["refresh_token"] != token["refresh_token"]
    counts["refresh"] = len(statements)

    over = {
        name: (count, CEILINGS[name]) for name, count in counts.items() if count > CEILINGS[name]
    }
    assert over == {}, f"statements (counted, ceiling): {over}; all counts: {counts}"


@both_databases
def test_sign_up_post_stays_under_its_statement_ceiling(app, client, members):
    # The mail is tried after the response by default: its own work, counted elsewhere.
    configure(app, IDP_MAIL_SEND_AFTER_REQUEST=False)
    page = client.get("/inscription").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "first_name": "Zoé",
        "last_name": "Cœur",
        **birth_date_fields("1992-02-29"),
        "member_number": "87654321",
        "email": "zoe@example.org",
        "email_confirm": "zoe@example.org",
        "country": "FR",
        "phone": "0698765432",
        "phone_confirm": "0698765432",
        "accept_terms": "y",
    }
    with counted_statements(app) as statements:
        reply = client.post("/inscription", data=form)
    assert reply.status_code == 302, reply.get_data(as_text=True)[:500]
    ceiling = CEILINGS["sign-up POST"]
    if app.config["IDP_DATABASE_URL"].startswith("sqlite"):
        ceiling += SQLITE_EXTRA["sign-up POST"]
    assert len(statements) <= ceiling, "\n".join(statements)
