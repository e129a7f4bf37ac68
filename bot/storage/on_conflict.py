"""`INSERT ... ON CONFLICT` statements of SQLite and PostgreSQL, built once per table.

A statement built once is compiled once: SQLAlchemy keeps its compiled form and skips
building and hashing it again at every execution.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from bot.errors import UserError

# Both build an INSERT that takes `.on_conflict_do_nothing()` and `.on_conflict_do_update()`.
_INSERTS: dict[str, Callable[[Table], Any]] = {
    "postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _dialect(conn: Connection) -> str:
    name = conn.dialect.name
    if name not in _INSERTS:
        raise UserError(f"forumbot needs SQLite or PostgreSQL here, not {name}")
    return name


def insert_new(conn: Connection, table: Table) -> Any:
    """`INSERT ... ON CONFLICT (key) DO NOTHING RETURNING key`: a row back only when inserted.

    On PostgreSQL an insert of the same key by another transaction is waited for; nothing is
    inserted if that one commits.
    """
    return _insert_new(_dialect(conn), table)


def upsert(conn: Connection, table: Table) -> Any:
    """`INSERT ... ON CONFLICT (key) DO UPDATE` of every other column."""
    return _upsert(_dialect(conn), table)


@cache
def _insert_new(dialect: str, table: Table) -> Any:
    key = list(table.primary_key.columns)
    return (_INSERTS[dialect](table)
            .on_conflict_do_nothing(index_elements=[c.name for c in key]).returning(*key))


@cache
def _upsert(dialect: str, table: Table) -> Any:
    statement = _INSERTS[dialect](table)
    keys = [c.name for c in table.primary_key.columns]
    return statement.on_conflict_do_update(index_elements=keys, set_={
        c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys})
