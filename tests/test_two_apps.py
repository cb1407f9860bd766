"""Two provider applications in one process share nothing: database, session, counters, keys,
clock, issuer. And a host may initialise its own Flask-SQLAlchemy after the provider."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from idp_extension import IdentityProvider, create_app
from idp_extension.clock import FrozenClock
from idp_extension.db import db
from idp_extension.models import MemberRecord, MemberStatus
from idp_extension.security.ratelimit import TooManyAttemptsError, hit


def provider(tmp_path, name: str, clock: FrozenClock, **config) -> Flask:
    app = create_app(
        {
            "IDP_DATABASE_URL": f"sqlite:///{tmp_path / name}.sqlite3",
            "IDP_SECRET_KEY": name * 40,
            "IDP_RATELIMIT_STORAGE_URL": "memory://",
            **config,
        },
        clock=clock,
    )
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def apps(tmp_path):
    clocks = (
        FrozenClock(datetime(2026, 1, 1, tzinfo=UTC)),
        FrozenClock(datetime(2027, 6, 1, tzinfo=UTC)),
    )
    first = provider(tmp_path, "a", clocks[0], IDP_ISSUER="https://a.example")
    second = provider(
        tmp_path, "b", clocks[1], IDP_ISSUER="https://b.example", IDP_URL_PREFIX="/idp"
    )
    yield first, second
    for app in (first, second):
        app.extensions["idp"].engine.dispose()


def test_two_apps_share_nothing(apps):
    first, second = apps
    one, two = first.extensions["idp"], second.extensions["idp"]
    assert one.engine is not two.engine and one.rate_limits is not two.rate_limits

    # A member written through the first app's session is not in the second's database.
    with first.app_context():
        db.session.add(
            MemberRecord(
                member_number="12345678",
                last_name="Martin",
                first_name="Paul",
                birth_date=datetime(1955, 11, 3).date(),
                status=MemberStatus.ACTIVE,
            )
        )
        db.session.commit()
    with second.app_context():
        assert db.session.scalars(db.select(MemberRecord)).all() == []
    with first.app_context():
        assert len(db.session.scalars(db.select(MemberRecord)).all()) == 1

    # Counters: the first app's limit is reached, the second app still counts from zero.
    with first.app_context():
        for _ in range(2):
            hit("login-email", "paul@example.org", "2/hour")
        with pytest.raises(TooManyAttemptsError):
            hit("login-email", "paul@example.org", "2/hour")
    with second.app_context():
        hit("login-email", "paul@example.org", "2/hour")

    # Each app its own clock, issuer, routes and signing keys.
    with first.app_context():
        assert one.clock.now().year == 2026
    with second.app_context():
        assert two.clock.now().year == 2027
    a = first.test_client().get("/.well-known/openid-configuration").get_json()
    b = second.test_client().get("/idp/.well-known/openid-configuration").get_json()
    assert a["issuer"] == "https://a.example" and b["issuer"] == "https://b.example/idp"
    assert b["jwks_uri"] == "https://b.example/idp/jwks.json"
    assert second.test_client().get("/.well-known/openid-configuration").status_code == 404
    kids_a = {key["kid"] for key in first.test_client().get("/jwks.json").get_json()["keys"]}
    kids_b = {key["kid"] for key in second.test_client().get("/idp/jwks.json").get_json()["keys"]}
    assert kids_a and kids_b and not kids_a & kids_b


@pytest.mark.parametrize("host_first", [True, False])
def test_host_flask_sqlalchemy_before_or_after_the_provider(tmp_path, host_first):
    host_db = SQLAlchemy()

    class Policy(host_db.Model):
        id = host_db.Column(host_db.Integer, primary_key=True)

    host = Flask("host")
    host.config.update(
        SECRET_KEY="s" * 40,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'host.sqlite3'}",
        IDP_DATABASE_URL=f"sqlite:///{tmp_path / 'idp.sqlite3'}",
        IDP_RATELIMIT_STORAGE_URL="memory://",
    )
    if host_first:
        host_db.init_app(host)
        IdentityProvider(host)
    else:
        IdentityProvider(host)
        host_db.init_app(host)
    with host.app_context():
        host_db.create_all()
        db.create_all()
        host_db.session.add(Policy())
        host_db.session.commit()
        assert host_db.session.scalar(host_db.select(host_db.func.count(Policy.id))) == 1
        # Each keeps its own tables in its own database.
        assert "policy" not in db.metadata.tables
        assert host_db.engine.url != db.engine.url
        assert db.session.scalars(db.select(MemberRecord)).all() == []
    host.extensions["idp"].engine.dispose()


def test_redaction_covers_records_of_child_modules(apps, caplog):
    first, _ = apps
    child = logging.getLogger("idp_extension.mail.outbox")
    with caplog.at_level(logging.INFO, logger="idp_extension"):
        child.warning("GET /activation/SECRETTOKEN123 and code=abc123&state=x")
    [record] = [r for r in caplog.records if r.name == "idp_extension.mail.outbox"]
    assert "SECRETTOKEN123" not in record.getMessage()
    assert "abc123" not in record.getMessage()
    assert "/activation/[redacted]" in record.getMessage()
