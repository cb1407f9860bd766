"""One error model: every typed error has a code and an error status, the one renderer answers
with that status, every OAuth endpoint writes its JSON errors in one shape, and a host
application's own error handlers still answer for the host's routes."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from flask import Flask, abort
from werkzeug.datastructures import MultiDict

import idp_extension
from idp_extension import IdentityProvider, error_pages
from idp_extension.db import db
from idp_extension.errors import IdpError
from idp_extension.security.passwords import RULES
from idp_extension.security.ratelimit import TooManyAttemptsError

CODE = re.compile(r"^[a-z][a-z_]*[a-z]$")
# RFC 6749 5.2: the characters an error_description may hold.
DESCRIPTION = re.compile(r"^[\x20-\x21\x23-\x5B\x5D-\x7E]+$")


def all_idp_errors() -> list[type[IdpError]]:
    """Every subclass of IdpError in the package (each module imported, so none is missed)."""
    for module in pkgutil.walk_packages(idp_extension.__path__, "idp_extension."):
        importlib.import_module(module.name)
    found, todo = [], [IdpError]
    while todo:
        for subclass in todo.pop().__subclasses__():
            if subclass.__module__.startswith("idp_extension."):
                found.append(subclass)
            todo.append(subclass)
    return sorted(set(found), key=lambda cls: cls.__qualname__)


# Constructor arguments of the errors that carry details; the others take none.
ARGUMENTS = {
    "ActivationExpiredError": (7,),
    "AdminActionError": ("not_found",),
    "PasswordPolicyError": (list(RULES[:2]),),
    "PhoneCodeError": ("expired",),
    "ResetLinkError": ("used",),
    "SecondFactorError": ("wrong", 2),
    "TerminationGuardError": (40, 100, 10.0),
    "TooManyAttemptsError": ("login-email", 125),
}


def make(cls: type[IdpError]) -> IdpError:
    return cls(*ARGUMENTS.get(cls.__name__, ()))


def test_the_package_has_its_typed_errors():
    names = {cls.__name__ for cls in all_idp_errors()}
    assert {
        "RegistryMismatchError",
        "ActivationExpiredError",
        "LoginFailedError",
        "ResetLinkError",
        "SecondFactorError",
        "AdminActionError",
        "ClientRegistrationError",
        "ConsentNotFoundError",
        "TooManyAttemptsError",
        "PasswordPolicyError",
    } <= names
    # One class per name: two PasswordPolicyError (or any pair) would be two error models.
    classes = all_idp_errors()
    assert len(names) == len(classes)


@pytest.mark.parametrize("cls", all_idp_errors(), ids=lambda cls: cls.__name__)
def test_every_typed_error_has_a_code_and_an_error_status(cls):
    error = make(cls)
    for carrier in (cls, error):
        assert isinstance(carrier.code, str) and CODE.match(carrier.code), carrier.code
        assert isinstance(carrier.status, int) and 400 <= carrier.status < 600
    assert error.describe().strip()


@pytest.mark.parametrize("cls", all_idp_errors(), ids=lambda cls: cls.__name__)
def test_the_renderer_answers_each_error_with_its_status(app, cls):
    error = make(cls)
    with app.test_request_context("/connexion", headers={"Accept": "text/html"}):
        page, status, headers = error_pages.idp_error(error)
        assert status == error.status
        assert error.describe().split("%")[0][:30] in page.replace("&#39;", "'")
        assert headers == error.headers()
    with app.test_request_context("/connexion", headers={"Accept": "application/json"}):
        answer = error_pages.idp_error(error)
        assert answer.status_code == error.status
        assert answer.get_json() == {"error": error.code, "error_description": error.describe()}
        assert answer.headers["Cache-Control"] == "no-store"


def test_too_many_attempts_says_how_long_to_wait(app):
    with app.test_request_context("/connexion?lang=fr"):
        page, status, headers = error_pages.idp_error(TooManyAttemptsError("login-email", 125))
    assert status == 429 and headers == {"Retry-After": "125"}
    assert "Merci de réessayer dans 3 minutes." in page


def test_an_oauth_endpoint_refusing_too_many_attempts_answers_oauth_json(app):
    with app.test_request_context("/token", method="POST"):
        answer = error_pages.idp_error(TooManyAttemptsError("ip:oidc.token", 30))
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "30"
    body = answer.get_json()
    assert body["error"] == "temporarily_unavailable"
    assert DESCRIPTION.match(body["error_description"])  # English, not the page's French
    assert answer.headers["Cache-Control"] == "no-store"


# A malformed request to each OAuth JSON endpoint: the provider's own checks, Authlib's
# refusals, and HTTP errors (a body too large) alike.
MALFORMED = {
    "token: JSON body": ("POST", "/token", {"json": {"grant_type": "authorization_code"}}),
    "token: no grant_type": ("POST", "/token", {"data": {"code": "x"}}),
    "token: unknown grant": ("POST", "/token", {"data": {"grant_type": "password"}}),
    "token: bad Basic": (
        "POST",
        "/token",
        {"data": {"grant_type": "authorization_code"}, "headers": {"Authorization": "Basic %"}},
    ),
    "token: unknown client": (
        "POST",
        "/token",
        {"data": {"grant_type": "authorization_code", "code": "x"}, "auth": ("nobody", "x")},
    ),
    "token: too large": ("POST", "/token", {"data": {"code": "A" * 300_000}}),
    "token: GET": ("GET", "/token", {}),
    "introspect: PUT": ("PUT", "/introspect", {"data": {"token": "x"}}),
    "userinfo: no token": ("GET", "/userinfo", {}),
    "userinfo: unknown token": ("GET", "/userinfo", {"headers": {"Authorization": "Bearer x"}}),
    "userinfo: token in query": ("GET", "/userinfo?access_token=x", {}),
    "userinfo: JSON body": ("POST", "/userinfo", {"json": {"access_token": "x"}}),
    "revoke: no client": ("POST", "/revoke", {"data": {"token": "x"}}),
    "revoke: query string": ("POST", "/revoke?token=x", {"data": {"token": "x"}}),
    "introspect: no client": ("POST", "/introspect", {"data": {"token": "x"}}),
    "introspect: repeated": (
        "POST",
        "/introspect",
        {"data": MultiDict([("token", "x"), ("token", "y")]), "auth": ("nobody", "x")},
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=str)
def test_oauth_json_errors_share_one_shape(client, case):
    method, path, kwargs = MALFORMED[case]
    reply = client.open(path, method=method, **kwargs)
    assert 400 <= reply.status_code < 500, reply.get_data(as_text=True)[:300]
    assert reply.mimetype == "application/json"
    body = reply.get_json()
    assert set(body) == {"error", "error_description"}
    assert CODE.match(body["error"]) and DESCRIPTION.match(body["error_description"])
    # RFC 6749 5.1/5.2 and RFC 6750 3: never cached; a 401 names its challenge.
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Pragma"] == "no-cache"
    if reply.status_code == 401:
        assert reply.headers["WWW-Authenticate"].split()[0] in ("Basic", "Bearer")


def test_a_host_keeps_its_own_404_and_500_handlers(app_config, clock):
    host = Flask("host_app")
    host.config.update(app_config, PROPAGATE_EXCEPTIONS=False)

    @host.errorhandler(404)
    def host_not_found(error):
        return "Page du portail introuvable", 404

    @host.errorhandler(500)
    def host_server_error(error):
        return "Le portail a un souci", 500

    @host.get("/absent")
    def absent():
        abort(404)

    @host.get("/panne")
    def broken():
        raise RuntimeError("the host's own bug")

    @host.get("/limite")
    def limited():
        # A provider error raised in a host route is the host's to answer, not the provider's.
        raise TooManyAttemptsError("host", 60)

    IdentityProvider(clock=clock).init_app(host)
    with host.app_context():
        db.create_all()
    browser = host.test_client()

    for path in ("/absent", "/nulle-part"):
        answer = browser.get(path)
        assert (answer.status_code, answer.get_data(as_text=True)) == (
            404,
            "Page du portail introuvable",
        )
    for path in ("/panne", "/limite"):
        answer = browser.get(path)
        assert (answer.status_code, answer.get_data(as_text=True)) == (
            500,
            "Le portail a un souci",
        )
    # The provider's own routes keep the provider's answers.
    refused = browser.post("/connexion", data={"email": "a@example.org"})
    assert refused.status_code == 400 and "Demande incomprise" in refused.get_data(as_text=True)
    token = browser.post("/token", json={})
    assert token.status_code == 400 and token.get_json()["error"] == "invalid_request"
