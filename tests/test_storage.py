"""The database as an operator and a moderator meet it: migrated, seeded once, faithful.

Every test that takes `database_url` runs on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Engine, bindparam, event, inspect, make_url, text, update
from sqlalchemy.orm import Session

from bot.app import App
from bot.faq.entries import FaqEntry
from bot.faq.knowledge_pack import KnowledgePack
from bot.handoff import OFFER_LIFETIME, Handoff
from bot.storage.database import current_revision, head_revision, make_engine, upgrade
from bot.storage.faq_store import SqlFaqStore
from bot.storage.handoff_store import SqlHandoffStore
from bot.storage.models import HandoffRow
from bot.storage.platform_store import SqlPlatformStore

FAQ_COLUMNS = "id, title, kind, answer, alternates, tags, seeded_hash, updated_at"


def faq_rows(engine: Engine) -> list[tuple[Any, ...]]:
    """Every stored FAQ row, every column, by id."""
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {FAQ_COLUMNS} FROM faq_entries ORDER BY id"))
        return [tuple(r) for r in rows]


def handoff_statuses(engine: Engine) -> list[tuple[str, str]]:
    """(question, status) of every hand-off row, in creation order."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT question, status FROM handoffs ORDER BY id"))
        return [(r[0], r[1]) for r in rows]


# --- migrations and first start -------------------------------------------------------------


def test_first_start_migrates_a_fresh_database_to_the_newest_schema(
    database_url: str, make_app: Callable[..., App]
) -> None:
    probe = make_engine(database_url)
    try:
        assert current_revision(probe) is None
    finally:
        probe.dispose()

    app = make_app(database_url)

    assert current_revision(app.engine) == head_revision()
    tables = set(inspect(app.engine).get_table_names())
    assert {"faq_entries", "handoffs", "alembic_version"} <= tables


def test_first_start_seeds_every_entry_of_the_shipped_pack(
    database_url: str, make_app: Callable[..., App], pack: KnowledgePack
) -> None:
    app = make_app(database_url)

    stored = app.faq.all_entries()
    assert [e.id for e in stored] == sorted(e.id for e in pack.entries)
    assert {e.id: e for e in stored} == {e.id: e for e in pack.entries}
    # The seed mark is what later lets `knowledge sync` tell pack edits from moderator edits.
    seeded = {row[0]: row[6] for row in faq_rows(app.engine)}
    assert seeded == {e.id: e.content_hash() for e in pack.entries}


def test_a_restart_neither_reseeds_nor_duplicates_and_keeps_a_moderators_change(
    database_url: str, make_app: Callable[..., App], pack: KnowledgePack
) -> None:
    first = make_app(database_url)
    edited = "Moderator's answer: ask in #payments and we will look at your contract."
    with first.engine.begin() as conn:
        conn.execute(
            text("UPDATE faq_entries SET answer = :a WHERE id = 'escrow-basics'"), {"a": edited}
        )
    before = faq_rows(first.engine)

    second = make_app(database_url)

    assert faq_rows(second.engine) == before
    assert len(second.faq.all_entries()) == len(pack.entries)
    changed = second.faq.get("escrow-basics")
    assert changed is not None and changed.answer == edited
    assert second.assistant.entries["escrow-basics"].answer == edited


def test_upgrading_a_database_that_is_already_at_head_changes_nothing(engine: Engine) -> None:
    SqlFaqStore(engine).sync(
        [FaqEntry("kept-entry", "Kept", "faq", "Still here after the upgrade.", ("a",), ("t",))]
    )
    SqlHandoffStore(engine).offer("alice", "discord", False, "still offered?")
    tables = sorted(inspect(engine).get_table_names())
    rows = faq_rows(engine)

    upgrade(engine)
    upgrade(engine)

    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    assert sorted(inspect(engine).get_table_names()) == tables
    assert faq_rows(engine) == rows
    assert handoff_statuses(engine) == [("still offered?", "offered")]


def _fail_lock_waits_after_ten_seconds(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '10s'")
    dbapi_connection.commit()


def test_two_processes_starting_at_once_on_an_empty_database_both_migrate_it(
    database_url: str,
) -> None:
    engines = [make_engine(database_url) for _ in range(2)]
    for e in engines:
        if e.dialect.name == "postgresql":
            # Without the migration lock the two would block each other's DDL for good; make
            # that a quick failure instead of a hung test (the lock wait itself takes < 1 s).
            event.listen(e, "connect", _fail_lock_waits_after_ten_seconds)
    try:
        for e in engines:  # connect first, so that both threads reach `upgrade` together
            with e.connect():
                pass
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def start(e: Engine) -> None:
            try:
                barrier.wait(timeout=10)
                upgrade(e)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(e,), daemon=True) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

        assert not any(t.is_alive() for t in threads), "an upgrade hung (lock not taken?)"
        assert errors == []
        assert current_revision(engines[0]) == head_revision()
        with engines[1].connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        for e in engines:
            e.dispose()


# --- entries --------------------------------------------------------------------------------

MARKDOWN_ANSWER = (
    "**Escrow** holds the money — *not* the client.\n"
    "\n"
    "- Step 1: fund the milestone 💰\n"
    "  - nested: `Milestones → Fund`\n"
    "- Step 2: see [the guide](https://example.com/guide?a=1&b=2)\n"
    "\n"
    "```\n"
    "code   block  keeps    spaces\n"
    "```\n"
    "Next step: ask a moderator. Größe, naïve, 日本語, العربية, 🇺🇦"
)

ROUND_TRIP = [
    FaqEntry(
        id="zz-unicode-markdown",
        title="Escrow — ¿qué es? «Treuhand» 担保",
        kind="faq",
        answer=MARKDOWN_ANSWER,
        alternates=("zebra first", "Ähnlich?", "alpha last", "💬 emoji phrasing", "Alpha Last"),
        tags=("zeta", "alpha", "mu", "ß"),
    ),
    FaqEntry(
        id="aa-long-and-bare",
        title="T" * 200,
        kind="personal",
        answer="x" * 1800,
        alternates=(),
        tags=(),
    ),
    FaqEntry(
        id="mm-meta",
        title="Quotes ' \" and backslash \\ and 100% _under_",
        kind="meta",
        answer="Line one\r\nline two\ttabbed\n\n\nthree blank lines above",
        alternates=("a", "b"),
        tags=("json", '"quoted"', "[brackets]"),
    ),
]


def test_entries_come_back_from_the_database_exactly_as_they_were_stored(
    engine: Engine,
) -> None:
    store = SqlFaqStore(engine)
    report = store.sync(ROUND_TRIP)
    assert sorted(report.created) == sorted(e.id for e in ROUND_TRIP)

    for entry in ROUND_TRIP:
        back = store.get(entry.id)
        assert back == entry
        assert back is not None and back.content_hash() == entry.content_hash()
    assert store.all_entries() == sorted(ROUND_TRIP, key=lambda e: e.id)
    assert store.get("not-there") is None
    # Were anything lost on the way, the next sync would see every entry as changed.
    again = store.sync(ROUND_TRIP)
    assert sorted(again.unchanged) == sorted(e.id for e in ROUND_TRIP)
    assert again.conflicts == () and not again.changed


# --- the hand-off queue ---------------------------------------------------------------------


def test_asking_for_a_moderator_queues_only_the_members_latest_declined_question(
    engine: Engine,
) -> None:
    handoffs = SqlHandoffStore(engine)
    handoffs.offer("alice", "discord", False, "first question")
    handoffs.offer("alice", "discord", True, "second question")

    queued = handoffs.queue_last_offer("alice", OFFER_LIFETIME)

    assert queued is not None
    assert (queued.user, queued.question, queued.status) == ("alice", "second question", "queued")
    assert queued.platform == "discord" and queued.channel_private is True
    assert [h.question for h in handoffs.queued()] == ["second question"]
    # The earlier offer was superseded: asking again queues nothing more.
    assert handoffs.queue_last_offer("alice", OFFER_LIFETIME) is None
    assert [h.question for h in handoffs.queued()] == ["second question"]


def _queued_question(engine: Engine) -> tuple[SqlHandoffStore, Handoff]:
    """A member's declined question, passed on to the moderators' queue."""
    handoffs = SqlHandoffStore(engine)
    handoffs.offer("alice", "slack", False, "is there wifi on the moon")
    queued = handoffs.queue_last_offer("alice", OFFER_LIFETIME)
    assert queued is not None
    return handoffs, queued


def test_a_withdrawn_question_leaves_the_queue_and_asking_again_queues_it_once(
    engine: Engine,
) -> None:
    handoffs, queued = _queued_question(engine)

    assert handoffs.withdraw(queued.id) is True
    assert handoffs.queued() == [] and handoffs.get(queued.id) is None
    assert handoffs.withdraw(queued.id) is False  # not queued any more
    again = handoffs.queue_last_offer("alice", OFFER_LIFETIME)
    assert again is not None and again.question == "is there wifi on the moon"
    assert [h.id for h in handoffs.queued()] == [again.id]


def test_a_question_withdrawn_long_after_it_was_asked_can_still_be_passed_on(
    engine: Engine,
) -> None:
    handoffs, queued = _queued_question(engine)
    with engine.begin() as conn:  # asked two hours ago, queued, then the post was refused
        conn.execute(update(HandoffRow).values(created_at=datetime.now(UTC) - timedelta(hours=2)))
    assert handoffs.withdraw(queued.id) is True
    again = handoffs.queue_last_offer("alice", OFFER_LIFETIME)
    assert again is not None and again.question == "is there wifi on the moon"


def test_a_failed_transaction_writes_nothing_on_a_connection_a_claim_used_before(
    engine: Engine,
) -> None:
    # The per-question statements commit by themselves on PostgreSQL (`one_statement`): the
    # pooled connection they used must be back in transactions for the next session.
    taken: list[int] = []
    event.listen(engine, "checkout", lambda dbapi, _record, _proxy: taken.append(id(dbapi)))
    assert SqlPlatformStore(engine).claim("slack:event:Ev1", datetime.now(UTC))
    try:
        with Session(engine) as session, session.begin():
            session.add(HandoffRow(user="alice", platform="slack", channel_private=False,
                                   question="half-written", status="queued",
                                   created_at=datetime.now(UTC)))
            session.flush()
            raise RuntimeError("the second write failed")
    except RuntimeError:
        pass
    assert handoff_statuses(engine) == []
    assert len(set(taken)) == 1  # one pooled connection served all three


def test_one_members_request_leaves_another_members_offer_untouched(engine: Engine) -> None:
    handoffs = SqlHandoffStore(engine)
    handoffs.offer("alice", "discord", False, "alice asks")
    handoffs.offer("bob", "slack", False, "bob asks")

    queued = handoffs.queue_last_offer("alice", OFFER_LIFETIME)

    assert queued is not None and queued.question == "alice asks"
    assert handoff_statuses(engine) == [("alice asks", "queued"), ("bob asks", "offered")]
    assert handoffs.queue_last_offer("carol", OFFER_LIFETIME) is None
    later = handoffs.queue_last_offer("bob", OFFER_LIFETIME)
    assert later is not None and (later.user, later.question) == ("bob", "bob asks")


def _age_offer(engine: Engine, question: str, age: timedelta) -> None:
    stmt = text("UPDATE handoffs SET created_at = :t WHERE question = :q").bindparams(
        bindparam("t", type_=DateTime(timezone=True))
    )
    with engine.begin() as conn:
        conn.execute(stmt, {"t": datetime.now(UTC) - age, "q": question})


def test_an_offer_older_than_its_lifetime_is_not_queued(engine: Engine) -> None:
    handoffs = SqlHandoffStore(engine)
    handoffs.offer("alice", "discord", False, "asked two hours ago")
    handoffs.offer("bob", "discord", False, "asked 59 minutes ago")
    _age_offer(engine, "asked two hours ago", timedelta(hours=2))
    _age_offer(engine, "asked 59 minutes ago", timedelta(minutes=59))

    assert handoffs.queue_last_offer("alice", OFFER_LIFETIME) is None
    recent = handoffs.queue_last_offer("bob", OFFER_LIFETIME)

    assert recent is not None and recent.question == "asked 59 minutes ago"
    assert [h.question for h in handoffs.queued()] == ["asked 59 minutes ago"]


def test_offers_are_kept_only_while_they_can_be_taken_up_and_never_keep_a_link_code(
    engine: Engine,
) -> None:
    handoffs = SqlHandoffStore(engine)
    handoffs.offer("alice", "discord", False, "alice's first")
    handoffs.offer("alice", "discord", False, "alice's second")
    handoffs.offer("bob", "slack", False, "bob, long ago")
    _age_offer(engine, "bob, long ago", timedelta(hours=2))
    handoffs.offer("carol", "slack", True, "my code is HKMNP-34567 and it fails")

    assert handoff_statuses(engine) == [
        ("alice's second", "offered"), ("my code is [code removed] and it fails", "offered")]


def test_a_question_passed_to_the_moderators_keeps_no_email_number_or_code(
    engine: Engine,
) -> None:
    handoffs = SqlHandoffStore(engine)
    handoffs.offer("dan", "slack", True,
                   "mail dan@example.com or +44 20 7946 0958, code K7PQMR2XWN2")
    assert handoff_statuses(engine) == [
        ("mail [email removed] or [number removed], code [code removed]", "offered")]


def test_the_moderators_queue_lists_the_oldest_question_first(engine: Engine) -> None:
    handoffs = SqlHandoffStore(engine)
    for user in ("u1", "u2", "u3"):
        handoffs.offer(user, "discord", False, f"question of {user}")
    for user in ("u3", "u1", "u2"):  # passed on in a different order than asked
        assert handoffs.queue_last_offer(user, OFFER_LIFETIME) is not None

    queue = handoffs.queued()

    assert [h.question for h in queue] == ["question of u1", "question of u2", "question of u3"]
    assert all(h.status == "queued" for h in queue)
    assert [h.created_at for h in queue] == sorted(h.created_at for h in queue)


def test_a_queued_question_says_when_it_was_asked_in_utc(engine: Engine) -> None:
    handoffs = SqlHandoffStore(engine)
    before = datetime.now(UTC)
    handoffs.offer("alice", "discord", False, "when was this?")
    queued = handoffs.queue_last_offer("alice", OFFER_LIFETIME)
    after = datetime.now(UTC)

    assert queued is not None
    assert queued.created_at.utcoffset() == timedelta(0)
    assert before <= queued.created_at <= after
    assert handoffs.queued()[0].created_at == queued.created_at


def test_migrations_create_exactly_the_tables_the_models_describe(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.storage.models import Base

    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_a_long_read_by_another_program_does_not_stall_writes_on_sqlite(
    sqlite_database: str,
) -> None:
    engine = make_engine(sqlite_database)
    upgrade(engine)
    reader = sqlite3.connect(make_url(sqlite_database).database or "", timeout=0.1)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM handoffs").fetchone() == (0,)
    try:  # a backup or `sqlite3` in a shell, in the middle of a read
        SqlHandoffStore(engine).offer("alice", "console", True, "can I pay in gold")
        assert reader.execute("SELECT count(*) FROM handoffs").fetchone() == (0,)
    finally:
        reader.rollback()
        reader.close()
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("SELECT count(*) FROM handoffs")).scalar() == 1
    engine.dispose()


def test_a_write_waits_while_another_program_holds_the_write_lock_then_goes_through(
    sqlite_database: str,
) -> None:
    engine = make_engine(sqlite_database)
    upgrade(engine)
    other = sqlite3.connect(make_url(sqlite_database).database or "", timeout=0.1,
                            isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing a while
    wrote: list[BaseException | None] = []

    def write() -> None:
        try:
            SqlHandoffStore(engine).offer("alice", "console", True, "can I pay in gold")
            wrote.append(None)
        except BaseException as exc:  # reported by the test's thread
            wrote.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(0.5)
    assert writer.is_alive() and wrote == []  # waiting its turn, not failed
    other.rollback()
    other.close()
    writer.join(10)
    assert wrote == [None]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM handoffs")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000  # for the rest
    engine.dispose()
