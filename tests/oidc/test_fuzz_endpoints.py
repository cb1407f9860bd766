"""Property-based fuzzing (hypothesis) of every parameter of authorize, token, userinfo, revoke,
introspect and logout: whatever a client or a browser sends, the answer is never a 5xx.

Each endpoint gets ``IDP_FUZZ_EXAMPLES`` examples (200 by default, derandomized so CI is
repeatable); ``python scripts/fuzz.py`` runs the same properties much longer, with fresh
randomness each time.
"""

from __future__ import annotations

import base64
import os
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idp_extension.oidc.clients import create_client

from ..account.helpers import PASSWORD, login, make_account

EXAMPLES = int(os.environ.get("IDP_FUZZ_EXAMPLES", "200"))
RANDOM = os.environ.get("IDP_FUZZ_RANDOM") == "1"
CALLBACK = "http://127.0.0.1:9/callback"

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Values a parser may choke on: any text, huge or nested JSON, broken UTF-8 and control bytes.
odd_text = st.one_of(
    # Printable ASCII: quotes and backslashes, which error descriptions may not carry.
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=8),
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(
        [
            "",
            '"',
            "é",
            "\x00",
            "code",
            "openid profile email phone member",
            "none",
            "login consent",
            "S256",
            "plain",
            "query",
            "fragment",
            "-1",
            "99999999999999999999999",
            "[" * 1000 + "]" * 1000,
            '{"userinfo":{"name":{"essential":true}}}',
            '{"id_token":' * 500 + "{}" + "}" * 500,
            "x" * 5000,
            "eyJhbGciOiJub25lIn0.e30.",
        ]
    ),
)
raw_bytes = st.binary(max_size=40).map(lambda data: "".join(f"%{byte:02X}" for byte in data))


def query_string(params: dict[str, str], raw: dict[str, str]) -> str:
    """Percent-encode the text values; ``raw`` values are already encoded (maybe not UTF-8)."""
    parts = [f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in params.items()]
    parts += [f"{quote(name, safe='')}={value}" for name, value in raw.items()]
    return "&".join(parts)


def parameters(names: list[str], valid: dict[str, str]):
    """A valid request with one to three of ``names`` changed: each made odd, dropped, or
    sent as raw bytes (maybe repeated), so every parser is reached past the ones before it."""

    def around(chosen: list[str]):
        kept = {name: value for name, value in valid.items() if name not in chosen}
        changed = st.fixed_dictionaries({name: st.one_of(odd_text, st.none()) for name in chosen})
        return st.tuples(
            changed.map(lambda new: {**kept, **{k: v for k, v in new.items() if v is not None}}),
            st.dictionaries(st.sampled_from(chosen), raw_bytes, max_size=1),
        )

    return st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True).flatmap(around)


@pytest.fixture
def world(app, clock):
    """A signed-in member, a confidential first-party client and a public one, real tokens."""
    make_account(app, clock)
    with app.app_context():
        confidential, secret = create_client("Portail", [CALLBACK], [CALLBACK], first_party=True)
        public, _ = create_client("Appli", [CALLBACK], public=True, first_party=True)
        ids = confidential.client_id, public.client_id
    browser = app.test_client()
    assert login(browser, "helene@example.org", PASSWORD).status_code == 302
    reply = browser.get(
        f"/authorize?response_type=code&client_id={ids[0]}&redirect_uri={quote(CALLBACK)}"
        "&scope=openid+profile&state=s&nonce=n"
    )
    code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]
    basic = "Basic " + base64.b64encode(f"{ids[0]}:{secret}".encode()).decode()
    tokens = browser.post(
        "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        headers={"Authorization": basic},
    ).get_json()
    return {
        "browser": browser,
        "client_id": ids[0],
        "public_id": ids[1],
        "basic": basic,
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "id_token": tokens["id_token"],
        "code": code,
    }


def never_5xx(response, what: str) -> None:
    assert response.status_code < 500, f"{what} -> {response.status_code}"


AUTHORIZE = [
    "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "prompt",
    "max_age", "claims", "code_challenge", "code_challenge_method", "id_token_hint",
    "login_hint", "ui_locales", "acr_values", "response_mode", "request", "request_uri",
]  # fmt: skip


@fuzz
@given(data=st.data())
def test_authorize(world, data):
    valid = {
        "response_type": "code",
        "client_id": world["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "id_token_hint": world["id_token"],
    }
    params, raw = data.draw(parameters(AUTHORIZE, valid))
    method = data.draw(st.sampled_from(["GET", "POST"]))
    query = query_string(params, raw)
    browser = world["browser"]
    if method == "GET":
        response = browser.get("/authorize?" + query)
    else:
        response = browser.post(
            "/authorize", data=query, content_type="application/x-www-form-urlencoded"
        )
    never_5xx(response, f"{method} /authorize?{query}")


TOKEN = [
    "grant_type", "code", "redirect_uri", "client_id", "client_secret", "code_verifier",
    "refresh_token", "scope",
]  # fmt: skip


@fuzz
@given(data=st.data())
def test_token(world, data):
    valid = {
        "grant_type": data.draw(st.sampled_from(["authorization_code", "refresh_token"])),
        "code": world["code"],
        "redirect_uri": CALLBACK,
        "client_id": world["public_id"],
        "refresh_token": world["refresh_token"],
    }
    params, raw = data.draw(parameters(TOKEN, valid))
    headers = data.draw(
        st.sampled_from([{}, {"Authorization": world["basic"]}, {"Authorization": "Basic %%%"}])
        | odd_text.map(lambda text: {"Authorization": "Basic " + text.encode().hex()})
    )
    query = query_string(params, raw)
    response = world["browser"].post(
        "/token", data=query, headers=headers, content_type="application/x-www-form-urlencoded"
    )
    never_5xx(response, f"POST /token {query}")


@fuzz
@given(data=st.data())
def test_userinfo(world, data):
    token = data.draw(st.one_of(st.just(world["access_token"]), odd_text))
    scheme = data.draw(st.sampled_from(["Bearer ", "bearer ", "Basic ", "", "Bearer  "]))
    method = data.draw(st.sampled_from(["GET", "POST"]))
    where = data.draw(st.sampled_from(["header", "body", "query", "both"]))
    headers, body, path = {}, None, "/userinfo"
    if where in ("header", "both"):
        headers["Authorization"] = scheme + token.encode("utf-8", "replace").decode("latin-1")
    if where in ("body", "both"):
        body = f"access_token={quote(token, safe='')}"
    if where == "query":
        path += f"?access_token={quote(token, safe='')}"
    browser = world["browser"]
    if method == "GET":
        response = browser.get(path, headers=headers)
    else:
        response = browser.post(
            path, data=body, headers=headers, content_type="application/x-www-form-urlencoded"
        )
    never_5xx(response, f"{method} {path} {where}")


@pytest.mark.parametrize("endpoint", ["/revoke", "/introspect"])
@fuzz
@given(data=st.data())
def test_revoke_and_introspect(world, endpoint, data):
    valid = {"token": data.draw(st.sampled_from([world["access_token"], world["refresh_token"]]))}
    params, raw = data.draw(
        parameters(["token", "token_type_hint", "client_id", "client_secret"], valid)
    )
    auth = data.draw(st.sampled_from([{}, {"Authorization": world["basic"]}]))
    query = query_string(params, raw)
    response = world["browser"].post(
        endpoint, data=query, headers=auth, content_type="application/x-www-form-urlencoded"
    )
    never_5xx(response, f"POST {endpoint} {query}")


LOGOUT = ["id_token_hint", "post_logout_redirect_uri", "client_id", "state", "ui_locales",
          "logout_hint"]  # fmt: skip


@fuzz
@given(data=st.data())
def test_logout(world, data):
    valid = {
        "id_token_hint": world["id_token"],
        "post_logout_redirect_uri": CALLBACK,
        "client_id": world["client_id"],
    }
    params, raw = data.draw(parameters(LOGOUT, valid))
    method = data.draw(st.sampled_from(["GET", "POST"]))
    query = query_string(params, raw)
    # A fresh browser: a logout that succeeds must not sign the shared one out.
    browser = world["browser"].application.test_client()
    if method == "GET":
        response = browser.get("/logout?" + query)
    else:
        response = browser.post(
            "/logout", data=query, content_type="application/x-www-form-urlencoded"
        )
    never_5xx(response, f"{method} /logout?{query}")
