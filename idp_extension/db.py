"""The provider's own database handle: its own metadata, engine and session, per application.

The provider never uses the host application's Flask-SQLAlchemy instance (a host may have one,
initialised before or after the provider, or none): its tables live in ``db.metadata``, its
engine is built from ``IDP_DATABASE_URL`` by ``init_app`` and kept in
``app.extensions["idp"].engine``, and ``db.session`` is a session scoped to the application
context and bound to that engine. Code of the provider reaches the database only as
``from idp_extension.db import db`` then ``db.session`` / ``db.select`` / ``db.engine``.
"""

from __future__ import annotations

import sqlite3
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, appcontext_tearing_down, current_app
from flask.globals import app_ctx
from sqlalchemy import MetaData, event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Alembic's version table of the provider's migrations, beside any of the host's.
VERSION_TABLE = "idp_alembic_version"


class Model(DeclarativeBase):
    """Base class of the provider's models (their own metadata, not the host's)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProviderSession(Session):
    """A session that always talks to the current application's provider engine."""

    def get_bind(self, mapper=None, clause=None, **kwargs):
        return current_app.extensions["idp"].engine


def _app_context_id() -> int:
    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]  # a LocalProxy, typed as what it stands for


class Database:
    """``db.session``, ``db.select``, ``db.Model``, ``db.metadata``, ``db.engine``, as code
    written for Flask-SQLAlchemy expects them, without registering Flask-SQLAlchemy."""

    Model = Model
    metadata = Model.metadata

    @staticmethod
    def select(*entities: Any, **options: Any) -> sa.Select[Any]:
        # A wrapper rather than staticmethod(sa.select): type checkers see only the first of
        # select's overloads through staticmethod() and refuse a select of several columns.
        return sa.select(*entities, **options)

    def __init__(self) -> None:
        # expire_on_commit=False: a request is several operations (the counted login, its
        # outcome, the SSO session), and expiring every object at each commit read the account
        # again after each one. What a session loaded stays as loaded: code that changes rows
        # behind the ORM (an UPDATE with synchronize_session=False, a Core statement) expires or
        # refreshes the objects it bypassed, and a long-lived session wanting other processes'
        # changes reads with populate_existing (the mail claim does).
        self.session = scoped_session(
            sessionmaker(class_=ProviderSession, expire_on_commit=False),
            scopefunc=_app_context_id,
        )

    @property
    def engine(self) -> Engine:
        return current_app.extensions["idp"].engine

    def __getattr__(self, name: str):
        # As Flask-SQLAlchemy does: db.func, db.and_, db.Column... are SQLAlchemy's own.
        return getattr(sa, name)

    def create_all(self) -> None:
        self.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        self.metadata.drop_all(self.engine)

    def init_app(self, app: Flask) -> Engine:
        """Build this application's engine; its session ends with each application context."""
        engine = create_engine(app.config["IDP_DATABASE_URL"])
        # A signal, not a teardown hook on the host: it only closes the provider's own session.
        appcontext_tearing_down.connect(_remove_session, app)
        return engine


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched.

    ``Session.execute`` is typed as returning a ``Result``; for a DML statement it is a
    ``CursorResult``, the one that carries ``rowcount``.
    """
    return cast(CursorResult[Any], result).rowcount


def create_engine(url: str) -> Engine:
    """The provider's engine; on SQLite, with the pragmas the models rely on (this engine only)."""
    options: dict = {}
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # One in-memory database shared by every thread of the process.
        options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    engine = sa.create_engine(url, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _remove_session(sender: Flask, **kwargs) -> None:
    db.session.remove()


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys (the models' ON DELETE rules), and let the mail worker and
    the web server share the file: WAL readers don't block the writer, and a writer waits
    for the lock instead of failing at once."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


db = Database()
