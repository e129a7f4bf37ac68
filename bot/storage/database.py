"""Engines and migrations: SQLite by default, PostgreSQL by URL; upgrades safe to race."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest migration's revision (a test checks it against Alembic). Knowing it lets a start
# on an up-to-date database skip importing Alembic, which is most of a cold start.
SCHEMA_REVISION = "0008_semantic"
# Any fixed number: every process upgrading the same PostgreSQL takes this lock first.
_PG_MIGRATION_LOCK = 7_361_042_215


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file gets its folder created and real transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (DDL included).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


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
