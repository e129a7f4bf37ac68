"""Engines and migrations: SQLite by default, PostgreSQL by URL; upgrades safe to race."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, InvalidatePoolError, OperationalError

from bot.errors import UNAVAILABLE, Unavailable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest migration's revision (a test checks it against Alembic). Knowing it lets a start
# on an up-to-date database skip importing Alembic, which is most of a cold start.
SCHEMA_REVISION = "0008_semantic"
# Connections a process keeps open to a database server (SQLite's pool keeps as many). More at
# once are opened and closed per use, a PostgreSQL backend each: callers that can be many at
# once (webhook events) keep to this.
POOL_SIZE = 5
# Any fixed number: every process upgrading the same PostgreSQL takes this lock first.
_PG_MIGRATION_LOCK = 7_361_042_215


class DatabaseUnavailable(OperationalError, Unavailable):
    """A lost or refused connection to the database server: an `OperationalError` for code
    that handles those, and an `Unavailable` the assistant tells the member about."""

    def __init__(self, error: DBAPIError) -> None:
        # No parameters: they could quote members' data.
        OperationalError.__init__(self, error.statement, None, error.orig or error,
                                  connection_invalidated=error.connection_invalidated)
        self.message = UNAVAILABLE


# What a caller meets when the database does not answer: a lost or refused server connection,
# SQLite's file gone or its lock held past the busy wait (each `DatabaseUnavailable`), or
# another `OperationalError` of the driver's.
DATABASE_AWAY = (OperationalError, Unavailable)


def _connection_lost(context: ExceptionContext) -> None:
    """Turn a lost or refused connection into `DatabaseUnavailable`; other errors stay."""
    error = context.sqlalchemy_exception
    if isinstance(error, DBAPIError) and not isinstance(error, DatabaseUnavailable) and (
            context.is_disconnect or (context.connection is None
                                      and isinstance(error, OperationalError))):
        raise DatabaseUnavailable(error) from context.original_exception


# SQLite's errors of a database that does not answer: its file cannot be opened (its folder
# moved or unmounted), or another process held the write lock past the busy wait.
_SQLITE_AWAY = frozenset({sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_BUSY})


def _sqlite_away(context: ExceptionContext) -> None:
    """Turn SQLite's file that cannot be opened, or its lock held too long, into
    `DatabaseUnavailable`, as a lost server is; other errors stay."""
    error, original = context.sqlalchemy_exception, context.original_exception
    if isinstance(error, OperationalError) and not isinstance(error, DatabaseUnavailable) \
            and getattr(original, "sqlite_errorcode", None) in _SQLITE_AWAY:
        raise DatabaseUnavailable(error) from original


# A pooled connection idle longer than this is checked with a round trip before it is used.
PING_AFTER_IDLE = 1.0  # seconds
_IDLE_SINCE = "forumbot_idle_since"  # in a pooled connection's info: when it was given back
_TURN = "forumbot_turn"  # in a connection's info while its transaction holds the turn
_BUSY_SECONDS = 30  # how long a writer waits for SQLite's lock, and for its turn before that


class _Turns:
    """A first-come, first-served turn per thread, taken again freely by the thread holding it.

    A thread that waits longer than `patience` goes ahead without it, to SQLite's own busy wait
    (and its "database is locked" error): a turn never given back cannot hang the process.
    """

    def __init__(self, patience: float = _BUSY_SECONDS) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._holder: int | None = None
        self._depth = 0
        self._patience = patience

    def take(self) -> bool:
        """Wait for the turn; False when it was not had within `patience` seconds."""
        me = threading.get_ident()
        with self._mutex:
            if self._holder in (None, me):
                self._holder = me
                self._depth += 1
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        had = turn.acquire(timeout=self._patience)  # released by give_back, for this thread
        with self._mutex:
            if not had and turn in self._waiting:
                self._waiting.remove(turn)
                return False
            self._holder, self._depth = me, 1
            return True

    def give_back(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth:
                return
            self._holder = None
            if self._waiting:
                self._holder = -1  # reserved for the next in line until it runs
                self._waiting.popleft().release()


def _ping_when_idle(engine: Engine, idle: float = PING_AFTER_IDLE) -> None:
    """Check a pooled connection as it is taken when it has been idle for `idle` seconds; a
    dead one empties the pool, which connects again.

    Unlike `pool_pre_ping`, a connection given back within the last second is not checked: a
    round trip saved per transaction (a webhook event is about ten). A server that went away
    within that second fails the one transaction that meets it, which empties the pool too.
    """
    @event.listens_for(engine, "checkin")
    def _given_back(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < idle:
            return  # a new connection, or one that just worked
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise InvalidatePoolError() from exc
            raise


def one_statement(engine: Engine) -> Engine:
    """The engine for work that is a single statement (a read, one insert): on a database
    server each statement commits by itself, one round trip instead of three (BEGIN, the
    statement, COMMIT); on SQLite it is `engine`, whose writers queue on BEGIN IMMEDIATE.
    It shares `engine`'s pool and events."""
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file gets its folder created and real transactions.

    On a database server, a lost or refused connection raises `DatabaseUnavailable`, and the
    pool reconnects by itself once the server answers again (`_ping_when_idle`).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_size=POOL_SIZE)
        event.listen(engine, "handle_error", _connection_lost)
        _ping_when_idle(engine)
        return engine
    file_backed = bool(parsed.database) and parsed.database != ":memory:"
    if file_backed:
        Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": _BUSY_SECONDS})
    event.listen(engine, "handle_error", _sqlite_away)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (DDL included).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if file_backed:
            # Write-ahead log: readers (another process, a backup, `sqlite3`) never block the
            # writer nor it them, and a commit appends instead of rewriting pages; NORMAL
            # syncs at checkpoints, which WAL keeps consistent through a crash.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    turns = _Turns()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking.
        # Threads of this process queue first, in order, instead of all polling the file's
        # lock; the one whose turn it is asks for the lock every millisecond or two.
        if turns.take():
            connection.info[_TURN] = True
        try:
            _begin_immediate(connection)
        except BaseException:
            if connection.info.pop(_TURN, False):
                turns.give_back()
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        if connection.info.pop(_TURN, False):
            turns.give_back()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record.info.pop(_TURN, False):  # a transaction that ended without either event
            turns.give_back()

    return engine


def _begin_immediate(connection: Any) -> None:
    """`BEGIN IMMEDIATE`, asked again every millisecond or two while another process holds
    the write lock, for up to `_BUSY_SECONDS`: SQLite's own busy wait sleeps longer and longer,
    up to 100 ms a try, which was the tail when two processes write by turns."""
    raw = connection.connection.driver_connection
    deadline = time.monotonic() + _BUSY_SECONDS
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    break
            time.sleep(random.uniform(0.0005, 0.002))
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the last try, its error as SQLAlchemy's
    finally:
        raw.execute(f"PRAGMA busy_timeout={_BUSY_SECONDS * 1000}")


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    """Apply every pending migration in one transaction; concurrent callers wait their turn."""
    if current_revision(engine) == SCHEMA_REVISION:
        return
    from alembic import command

    config = _alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
