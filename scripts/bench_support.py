"""What the benchmark scripts share: a free loopback port, a throw-away PostgreSQL schema."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable

import sqlalchemy as sa


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_schema(url: str) -> tuple[str, str, Callable[[], None]] | None:
    """A new empty schema: (URL whose search_path is it, server version, drop), or None."""
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
        name = f"bench_{uuid.uuid4().hex[:10]}"
        with engine.begin() as connection:
            server_version = connection.execute(sa.text("SHOW server_version")).scalar()
            connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    except Exception as error:  # noqa: BLE001 - PostgreSQL is optional here
        print(f"postgresql: skipped ({type(error).__name__})")
        return None

    def drop():
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()

    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{name}", server_version, drop
