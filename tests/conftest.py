"""Shared fixtures: real SQLite files, a real PostgreSQL schema per test, the real pack."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_profiles
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from adapters.cli.main import run
from bot.app import App, build_app
from bot.faq.knowledge_pack import KnowledgePack, load_pack
from bot.resources import knowledge_dir
from bot.settings import Settings, sqlite_url
from bot.storage.database import make_engine, upgrade
from tests.tcp_proxy import TcpProxy

POSTGRES_URL = os.environ.get(
    "FORUMBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

# The property tests (`*_fuzzed.py`): a quick profile for every run, and a deeper one for
# benchmark runs, `FORUMBOT_FUZZ=deep` (docs/bad-input.md). No deadline: time is for bench/.
hypothesis_profiles.register_profile(
    "ci", max_examples=100, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
hypothesis_profiles.register_profile(
    "deep", max_examples=2000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
hypothesis_profiles.load_profile(os.environ.get("FORUMBOT_FUZZ", "ci"))


@pytest.fixture(scope="session")
def pack() -> KnowledgePack:
    """The shipped knowledge pack."""
    return load_pack(knowledge_dir())


@pytest.fixture
def sqlite_database(tmp_path: Path) -> str:
    """A URL for a fresh SQLite file."""
    return sqlite_url(tmp_path / "forumbot.db")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL URL; skipped when no server answers, unless CI requires it."""
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        if os.environ.get("FORUMBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but did not answer at {POSTGRES_URL}: {exc}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}")
    finally:
        engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def postgres_database(postgres_server: str) -> Iterator[str]:
    """A URL whose connections use a fresh schema, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def proxy(postgres_database: str) -> Iterator[tuple[TcpProxy, str]]:
    """A proxy to the test's PostgreSQL, and a database URL through it."""
    url = make_url(postgres_database)
    tcp = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    yield tcp, url.set(port=tcp.port).render_as_string(hide_password=False)
    tcp.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each storage test runs on a SQLite file and on PostgreSQL."""
    name = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    return str(request.getfixturevalue(name))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty (unseeded) database, on SQLite and on PostgreSQL."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def make_app() -> Iterator[Callable[..., App]]:
    """Build apps through the real composition root; engines are disposed afterwards. They
    match lexically unless a test asks for `matcher="fused"` (tests/faq/test_semantic.py
    covers the semantic stage)."""
    built: list[App] = []

    def factory(database_url: str, **overrides: object) -> App:
        options = {"matcher": "lexical", **overrides}
        app = build_app(Settings(database_url=database_url, **options))  # type: ignore[arg-type]
        built.append(app)
        return app

    yield factory
    for app in built:
        app.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., App], sqlite_database: str) -> App:
    """A seeded app on a fresh SQLite file."""
    return make_app(sqlite_database)


@pytest.fixture
def forumbot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> Callable[..., tuple[int, str, str]]:
    """Run `forumbot ARGS...` on a fresh data folder; returns the exit status, standard output
    and standard error."""
    environ = {"FORUMBOT_DATA_DIR": str(tmp_path / "data"), "FORUMBOT_MATCHER": "lexical"}

    def call(*args: str) -> tuple[int, str, str]:
        status = run(list(args), environ)
        out, err = capsys.readouterr()
        return status, out, err

    return call
