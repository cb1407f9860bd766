"""Shared fixtures: the app on SQLite (and PostgreSQL on request), a real SMTP server, a clock."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from idp_extension import create_app
from idp_extension.clock import FrozenClock
from idp_extension.db import db
from idp_extension.models import MemberRecord, MemberStatus

from .databases import PostgresSchema, postgres_url
from .smtp import SmtpServer

_POSTGRES_URL = postgres_url()

# Use as @both_databases on a test that must pass on SQLite and PostgreSQL.
both_databases = pytest.mark.parametrize(
    "database",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)],
    indirect=True,
)


def pytest_sessionstart(session):
    """Compile the translation catalogues when a .po is newer than its .mo (.mo files are not
    in git), so a fresh clone or a just-edited catalogue is what the tests read."""
    from .catalogues import compile_stale_catalogues

    compile_stale_catalogues()


@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server):
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


@pytest.fixture
def database(request, tmp_path):
    """The database URL for this test: SQLite unless parametrized with "postgresql"."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'idp.sqlite3'}"
        return
    if _POSTGRES_URL is None:
        pytest.skip("PostgreSQL is not reachable (set IDP_TEST_DATABASE_URL)")
    schema = PostgresSchema(_POSTGRES_URL)
    url = schema.create()
    yield url
    schema.drop()


@pytest.fixture
def clock():
    return FrozenClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def app_config(database, smtp_server, tmp_path):
    """Settings for the app under test; override this fixture to change one."""
    return {
        "TESTING": True,
        "IDP_DATABASE_URL": database,
        "IDP_SECRET_KEY": "test-secret-key-" + "x" * 32,
        "IDP_ISSUER": "http://localhost",
        "IDP_MAIL_SERVER": "127.0.0.1",
        "IDP_MAIL_PORT": smtp_server.port,
        "IDP_MAIL_SENDER": "Espace Client <no-reply@mutuelle.test>",
        # Cheap hashing keeps the suite fast; production parameters are tested on their own.
        "IDP_ARGON2_TIME_COST": 1,
        "IDP_ARGON2_MEMORY_COST": 1024,
        "IDP_ARGON2_PARALLELISM": 1,
        "IDP_RATELIMIT_ENABLED": False,
        # One process per test: per-process counters are chosen explicitly (start-up refuses
        # to pick them silently); the tests of shared counters use Redis.
        "IDP_RATELIMIT_STORAGE_URL": "memory://",
        "SERVER_NAME": "localhost",
    }


@pytest.fixture
def extension_options():
    """Outside systems passed to the extension (``registry``, ``mailer``, ``sms``); override
    this fixture to plug one in."""
    return {}


@pytest.fixture
def app(app_config, clock, tmp_path, extension_options):
    app = create_app(app_config, clock=clock, **extension_options)
    app.instance_path = str(tmp_path)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replace pytest-flask's fixture of that name, which keeps one request context pushed for
    the whole test: every request of every test client would then share one ``g`` (with
    Flask-WTF's cached CSRF token) and one database session, which no real server does."""


@pytest.fixture
def client(app):
    """A browser. Unlike pytest-flask's ``client``, requests leave no context behind for
    another client (or the next request) to reuse."""
    return app.test_client()


@pytest.fixture
def members(app):
    """A small register of members, as an insurer's export would give it."""
    records = [
        MemberRecord(
            member_number="12345678",
            last_name="Lefèvre-Dupont",
            first_name="Hélène",
            birth_date=date(1980, 5, 17),
            status=MemberStatus.ACTIVE,
        ),
        MemberRecord(
            member_number="87654321",
            last_name="Cœur",
            first_name="Zoé",
            birth_date=date(1992, 2, 29),
            status=MemberStatus.ACTIVE,
        ),
        MemberRecord(
            member_number="11112222",
            last_name="Martin",
            first_name="Paul",
            birth_date=date(1955, 11, 3),
            status=MemberStatus.TERMINATED,
        ),
    ]
    with app.app_context():
        db.session.add_all(records)
        db.session.commit()
        # Loaded and detached, so tests can read them outside an app context.
        for record in records:
            db.session.refresh(record)
        db.session.expunge_all()
    return {record.member_number: record for record in records}


CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form in a page, as a browser would submit it."""
    found = CSRF_PATTERN.search(html) or re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def birth_date_fields(value: date | str) -> dict[str, str]:
    """The sign-up form's three birth-date fields (``birth_day``, ``birth_month``,
    ``birth_year``) as a member types them from the card, from a date or "YYYY-MM-DD"."""
    born = value if isinstance(value, date) else date.fromisoformat(value)
    return {
        "birth_day": f"{born.day:02d}",
        "birth_month": f"{born.month:02d}",
        "birth_year": f"{born.year}",
    }


def page_text(response) -> str:
    """A response's HTML with entities decoded, as a reader sees the words."""
    import html

    return html.unescape(response.get_data(as_text=True))


def configure(app, **values) -> None:
    """Change settings of an app already built: the services read the typed settings made at
    ``init_app`` (``settings()``), so they are made again from the changed config."""
    from idp_extension.settings import Settings

    app.config.update(values)
    app.extensions["idp"].settings = Settings.from_config(app.config)


def deliver_mail(app) -> dict[str, int]:
    """Run the mail worker once, as ``flask idp send-mail`` does: it acts on the recorded
    reset / new-link requests (which only the worker handles) and delivers the outbox."""
    from idp_extension.mail.worker import MailWorker

    return MailWorker(app).run_once()


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the whole run: a second ``sync_playwright()`` started while
    another is alive refuses to run ("Sync API inside the asyncio loop"), so the browser suites
    (tests/browser, tests/production) each launch their Chromium from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright
