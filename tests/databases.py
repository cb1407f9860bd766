"""Test databases: a fresh SQLite file per test, and a fresh PostgreSQL schema when reachable."""

from __future__ import annotations

import os
import uuid

import sqlalchemy as sa

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str | None:
    """The PostgreSQL URL to test against, or None when no server answers."""
    url = os.environ.get("IDP_TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)
    if not url.startswith("postgresql"):
        return None
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        return None
    return url


class PostgresSchema:
    """A throw-away schema, so tests never see each other's rows."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.name = f"t_{uuid.uuid4().hex[:12]}"
        self.engine = sa.create_engine(base_url)

    def create(self) -> str:
        with self.engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
        separator = "&" if "?" in self.base_url else "?"
        return f"{self.base_url}{separator}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self.engine.dispose()
