"""One transaction owner: the outermost operation commits once, inner work only flushes.

A service function that changes the database is an *operation*::

    @operation
    def disable_client(client_id: str, *, admin_id: int) -> None:
        client = ...
        client.disabled = True
        audit.record("client_disabled", ...)   # lands with the change, or not at all

Called from a view or a command, it commits when it returns and rolls back when it raises.
Called from another operation, it joins that one: nothing is committed until the outermost
returns. Code below operations calls ``db.session.flush()`` when it needs ids or constraint
checks, never ``commit()``.

Some failures are outcomes that must be kept, such as a counted failed login before the error
page: ``@operation(keep_on=(LoginFailedError,))`` commits the work done so far, then lets the
error through.

What must only happen once the work is in the database (emptying a cache that would otherwise
be filled again from the old rows, lifting a pause kept outside it) is handed to
``after_commit``: it runs after the outermost commit, and never if the operation rolls back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar, overload

from .db import db

P = ParamSpec("P")
R = TypeVar("R")

_DEPTH = "idp_transaction_depth"
_AFTER_COMMIT = "idp_transaction_after_commit"


def in_transaction() -> bool:
    """Whether an operation is running in this application context."""
    return db.session.info.get(_DEPTH, 0) > 0


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` once the outermost operation has committed (at once outside any)."""
    if not in_transaction():
        callback()
        return
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _commit() -> None:
    try:
        db.session.commit()
    except BaseException:
        # A refused commit (a unique constraint met at the last flush) leaves nothing behind.
        _rollback()
        raise
    for callback in db.session.info.pop(_AFTER_COMMIT, []):
        callback()


def _rollback() -> None:
    db.session.info.pop(_AFTER_COMMIT, None)
    db.session.rollback()


@contextmanager
def transaction(keep_on: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Run the block as one unit of work: outermost commits or rolls back, inner joins."""
    info = db.session.info
    depth = info.get(_DEPTH, 0)
    info[_DEPTH] = depth + 1
    try:
        yield
    except keep_on:
        if depth == 0:
            _commit()
        raise
    except BaseException:
        if depth == 0:
            _rollback()
        raise
    else:
        if depth == 0:
            _commit()
        else:
            db.session.flush()
    finally:
        info[_DEPTH] = depth


@overload
def operation(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def operation(
    *, keep_on: tuple[type[BaseException], ...] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def operation(func=None, /, *, keep_on=()):
    """Decorate a service function as an operation (see the module docstring)."""

    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            with transaction(keep_on=keep_on):
                return function(*args, **kwargs)

        return run

    if func is not None:
        return decorate(func)
    return decorate
