"""Every route, fed junk by an anonymous visitor and by a signed-in admin, answers below 500.

The areas' own tests check each form's precise messages; this sweep makes sure no route was
forgotten: wrong types, broken UTF-8, duplicated and huge parameters, JSON where a form is
expected, path values that do not exist.
"""

from __future__ import annotations

import pytest

from idp_extension.db import db
from idp_extension.models import OutboxMessage

from .account.helpers import PASSWORD, login, make_account

JUNK_PATH_VALUES = {
    "token": ["x", "%FF%FE", "A" * 300],
    "account_id": ["0", "99999999999"],
    "message_id": ["0", "99999999999"],
    "client_pk": ["0", "99999999999"],
    "member_number": ["0", "99999999", "%FF%FE", "A" * 300],
    "filename": ["../../etc/passwd", "%00"],
}

QUERIES = [
    "",
    "?client_id=x&client_id=y&response_type=code&redirect_uri=http://evil.example/",
    "?lang=%FF&next=//evil.example&login_hint=" + "a" * 5000,
    "?scope=openid&response_type=code&client_id=&redirect_uri=&state=%00&nonce=" + "n" * 3000,
    "?claims=%7Bnot-json&request=eyJ.x.y&prompt=none&max_age=abc&ui_locales=%FF",
]

BODIES = [
    ({}, None),
    (
        {"data": b"email=%FF%FE&password=\xff\xfe&csrf_token=x&first_name=\x00"},
        "application/x-www-form-urlencoded",
    ),
    ({"data": b'{"email": ["a"], "grant_type": 3}'}, "application/json"),
    (
        {"data": b"grant_type=authorization_code&grant_type=refresh_token&code=a&code=b"},
        "application/x-www-form-urlencoded",
    ),
    ({"data": b"x=" + b"A" * 300_000}, "application/x-www-form-urlencoded"),
    (
        {
            "data": b"--b\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n\r\n"
            b"\xff\xfe;;\x00\r\n--b\r\nContent-Disposition: form-data; name=email\r\n\r\n"
            b"\xff\r\n--b--\r\n"
        },
        "multipart/form-data; boundary=b",
    ),
]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_DEMO": True}


def concrete_paths(app) -> list[tuple[str, set[str]]]:
    paths = []
    for rule in app.url_map.iter_rules():
        methods = set(rule.methods) - {"HEAD", "OPTIONS"}
        if not rule.arguments:
            paths.append((rule.rule, methods))
            continue
        (name,) = rule.arguments
        for value in JUNK_PATH_VALUES[name]:
            paths.append(
                (
                    rule.rule.replace(
                        f"<{rule._converters[name].__class__.__name__}:{name}>", value
                    )
                    .replace(f"<int:{name}>", value)
                    .replace(f"<path:{name}>", value)
                    .replace(f"<{name}>", value),
                    methods,
                )
            )
    return paths


def sweep(app, client) -> list[str]:
    failures = []
    for path, methods in concrete_paths(app):
        for query in QUERIES:
            for method in sorted(methods | {"PUT"}):
                bodies = BODIES if method in {"POST", "PUT"} else [({}, None)]
                for body, content_type in bodies:
                    kwargs = dict(body)
                    if content_type:
                        kwargs["content_type"] = content_type
                    response = client.open(path + query, method=method, **kwargs)
                    response.close()
                    if response.status_code >= 500:
                        failures.append(
                            f"{method} {path}{query[:60]} {content_type}: {response.status_code}"
                        )
    return failures


def test_anonymous_junk_never_gets_a_server_error(app, client):
    assert sweep(app, client) == []


def test_signed_in_admin_junk_never_gets_a_server_error(app, client, clock):
    make_account(app, clock, email="admin@mutuelle.test", is_admin=True)
    with app.app_context():
        db.session.add(
            OutboxMessage(
                kind="activation", recipient="a@b.fr", subject="s", body_text="", message_id="<m@x>"
            )
        )
        db.session.commit()
    login(client, "admin@mutuelle.test", PASSWORD)
    assert client.get("/admin/").status_code == 200
    assert sweep(app, client) == []
