"""Counting the SQL statements an application sends, as a database server would see them."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from idp_extension.db import db


@contextmanager
def counted_statements(app):
    """Yield a list that fills with every statement ``app`` executes inside the block."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
