"""`forumbot knowledge sync`: the plan it follows, and what an operator sees it do.

The plan is a pure function; the command runs through the real CLI on a SQLite file and on
PostgreSQL (every test taking `database_url`).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from adapters.cli.main import run, unsynced_pack
from bot.app import App
from bot.faq.entries import FaqEntry, StoredEntry, SyncReport, plan_sync
from bot.faq.knowledge_pack import dump_entry, load_entries
from bot.resources import knowledge_dir
from bot.storage.database import make_engine

# --- the plan, as pure functions -------------------------------------------------------------

ESCROW = FaqEntry("escrow-basics", "Escrow", "faq", "Escrow holds the money.", ("a", "b"), ("t",))
REFUND = FaqEntry("refund-request", "Refunds", "faq", "Ask the client for a refund.", ("r",), ())


def seeded(entry: FaqEntry) -> StoredEntry:
    """The database row as the pack seeded it, untouched since."""
    return StoredEntry(entry, entry.content_hash())


def test_plan_creates_the_entries_the_database_does_not_have() -> None:
    report = plan_sync([ESCROW, REFUND], {})

    assert report == SyncReport(created=("escrow-basics", "refund-request"))
    assert report.changed


def test_plan_leaves_an_entry_alone_when_the_pack_still_says_what_it_seeded() -> None:
    report = plan_sync([ESCROW], {ESCROW.id: seeded(ESCROW)})

    assert report == SyncReport(unchanged=("escrow-basics",))
    assert not report.changed


def test_plan_updates_an_entry_whose_pack_text_changed_while_the_database_did_not() -> None:
    new_pack = dataclasses.replace(ESCROW, answer="Escrow holds the money until you approve.")

    report = plan_sync([new_pack], {ESCROW.id: seeded(ESCROW)})

    assert report == SyncReport(updated=("escrow-basics",))
    assert report.changed


@pytest.mark.parametrize(
    "moderator_change",
    [
        {"answer": "Moderator: see the pinned post."},
        {"title": "Escrow, explained"},
        {"alternates": ("b", "a")},  # only the order of the phrasings
        {"tags": ("t", "extra")},
    ],
    ids=["answer", "title", "alternates-order", "tags"],
)
def test_plan_reports_a_conflict_and_never_overwrites_an_entry_a_moderator_changed(
    moderator_change: dict[str, Any],
) -> None:
    in_database = StoredEntry(
        dataclasses.replace(ESCROW, **moderator_change), ESCROW.content_hash()
    )
    new_pack = dataclasses.replace(ESCROW, answer="The pack's new answer.")

    report = plan_sync([new_pack], {ESCROW.id: in_database})

    assert report == SyncReport(conflicts=("escrow-basics",))
    assert not report.changed


def test_plan_also_protects_a_moderators_entry_that_the_pack_never_seeded() -> None:
    written_by_hand = StoredEntry(ESCROW, None)
    new_pack = dataclasses.replace(ESCROW, answer="The pack's own answer.")

    report = plan_sync([new_pack], {ESCROW.id: written_by_hand})

    assert report == SyncReport(conflicts=("escrow-basics",))


def test_plan_sees_no_conflict_when_the_moderators_change_equals_the_new_pack_text() -> None:
    new_pack = dataclasses.replace(ESCROW, answer="Escrow holds the money until you approve.")
    in_database = StoredEntry(new_pack, ESCROW.content_hash())  # moderator wrote the same

    report = plan_sync([new_pack], {ESCROW.id: in_database})

    assert report.conflicts == ()
    assert report.updated == ("escrow-basics",)  # only the seed mark moves


def test_plan_never_changes_an_entry_a_moderator_removed() -> None:
    removed = StoredEntry(ESCROW, ESCROW.content_hash(), removed=True)
    new_pack = dataclasses.replace(ESCROW, answer="A newer answer.")
    assert plan_sync([new_pack], {ESCROW.id: removed}).conflicts == ("escrow-basics",)
    assert plan_sync([ESCROW], {ESCROW.id: removed}).unchanged == ("escrow-basics",)


def test_plan_lists_the_entries_only_the_database_has_and_leaves_them_alone() -> None:
    extra = FaqEntry("zz-moderator-only", "Ours", "faq", "Written by a moderator.")
    also = FaqEntry("aa-moderator-only", "Also ours", "faq", "Also by a moderator.")
    stored = {e.id: seeded(e) for e in (extra, ESCROW, also)}

    report = plan_sync([ESCROW], stored)

    assert report.only_in_database == ("aa-moderator-only", "zz-moderator-only")
    assert report.unchanged == ("escrow-basics",)
    assert report.created == report.updated == report.conflicts == ()


# --- the command, on real databases ----------------------------------------------------------

FAQ_COLUMNS = "id, title, kind, answer, alternates, tags, seeded_hash, updated_at"


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    """A second connection to the test database, for looking at and editing rows."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def rows(engine: Engine) -> list[tuple[Any, ...]]:
    """Every FAQ row, every column, by id (an empty list before the first migration)."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "faq_entries"):
            return []
        result = conn.execute(text(f"SELECT {FAQ_COLUMNS} FROM faq_entries ORDER BY id"))
        return [tuple(r) for r in result]


def answer_in_db(engine: Engine, entry_id: str) -> str:
    with engine.connect() as conn:
        value = conn.execute(
            text("SELECT answer FROM faq_entries WHERE id = :id"), {"id": entry_id}
        ).scalar_one()
    return str(value)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped pack that a test may change or break."""
    target = tmp_path / "pack"
    shutil.copytree(knowledge_dir(), target)
    return target


def rewrite_answer(folder: Path, entry_id: str, answer: str) -> FaqEntry:
    """Change one entry's answer in the pack folder, in the pack's own file format."""
    path = folder / "entries" / f"{entry_id}.yaml"
    [entry] = [e for e in load_entries(folder) if e.id == entry_id]
    changed = dataclasses.replace(entry, answer=answer)
    path.write_text(dump_entry(changed), encoding="utf-8")
    return changed


Sync = Callable[..., tuple[int, str, str]]


@pytest.fixture
def sync(database_url: str, capsys: pytest.CaptureFixture[str]) -> Sync:
    """Run `forumbot knowledge sync --dir FOLDER`; returns (exit code, stdout, stderr)."""

    def run_sync(pack_folder: Path, **extra_environ: str) -> tuple[int, str, str]:
        capsys.readouterr()
        environ = {"FORUMBOT_DATABASE_URL": database_url, **extra_environ}
        code = run(["knowledge", "sync", "--dir", str(pack_folder)], environ)
        out, err = capsys.readouterr()
        return code, out, err

    return run_sync


@pytest.fixture
def seeded_app(database_url: str, make_app: Callable[..., App]) -> App:
    """The database after a first start: migrated and seeded from the shipped pack."""
    return make_app(database_url)


def test_knowledge_sync_twice_creates_every_entry_then_leaves_them_all_unchanged(
    sync: Sync, folder: Path, db: Engine
) -> None:
    count = len(load_entries(folder))

    code, out, err = sync(folder, FORUMBOT_SEED_ON_START="false")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"created {count}, updated 0, unchanged 0, conflicts 0"
    first = rows(db)
    assert [r[0] for r in first] == sorted(e.id for e in load_entries(folder))

    code, out, err = sync(folder, FORUMBOT_SEED_ON_START="false")
    assert (code, err) == (0, "")
    assert out == f"created 0, updated 0, unchanged {count}, conflicts 0\n"
    assert rows(db) == first


def test_the_first_sync_of_a_folder_into_an_empty_database_applies_exactly_that_folder(
    sync: Sync, folder: Path, db: Engine
) -> None:
    (folder / "entries" / "bot-help.yaml").unlink()
    wanted = load_entries(folder)

    code, out, _ = sync(folder)

    assert code == 0
    assert out.splitlines()[0] == f"created {len(wanted)}, updated 0, unchanged 0, conflicts 0"
    assert [r[0] for r in rows(db)] == sorted(e.id for e in wanted)


def test_sync_never_overwrites_an_entry_a_moderator_changed_but_updates_untouched_ones(
    seeded_app: App, sync: Sync, folder: Path, db: Engine
) -> None:
    moderators = "Moderator: escrow questions go to #payments, we answer within a day."
    with db.begin() as conn:
        conn.execute(
            text("UPDATE faq_entries SET answer = :a WHERE id = 'escrow-basics'"),
            {"a": moderators},
        )
    rewrite_answer(
        folder, "escrow-basics", "The pack's new escrow answer.\n\n- Next step: read it."
    )
    refund = rewrite_answer(
        folder, "refund-request", "The pack's new refund answer.\n\n- Next step."
    )
    count = len(load_entries(folder))
    before = {r[0]: r for r in rows(db)}

    code, out, err = sync(folder)

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"created 0, updated 1, unchanged {count - 2}, conflicts 1"
    assert any(line.startswith("conflict: escrow-basics ") for line in lines)
    assert answer_in_db(db, "escrow-basics") == moderators
    assert answer_in_db(db, "refund-request") == refund.answer
    after = {r[0]: r for r in rows(db)}
    untouched = set(before) - {"refund-request"}
    assert {i: after[i] for i in untouched} == {i: before[i] for i in untouched}

    # Syncing again neither wears the moderator down nor rewrites the updated entry.
    code, out, _ = sync(folder)
    assert code == 0
    assert out.splitlines()[0] == f"created 0, updated 0, unchanged {count - 1}, conflicts 1"
    assert answer_in_db(db, "escrow-basics") == moderators
    assert {r[0]: r for r in rows(db)} == after


def _missing_id(entries: Path) -> tuple[Path, str]:
    path = entries / "escrow-basics.yaml"
    text_ = path.read_text(encoding="utf-8")
    path.write_text(text_.replace("id: escrow-basics\n", "", 1), encoding="utf-8")
    return path, "missing id"


def _duplicate_id(entries: Path) -> tuple[Path, str]:
    path = entries / "zz-escrow-basics-copy.yaml"
    shutil.copy(entries / "escrow-basics.yaml", path)
    return path, "duplicate id 'escrow-basics'"


def _invalid_yaml(entries: Path) -> tuple[Path, str]:
    path = entries / "escrow-basics.yaml"
    path.write_text("id: escrow-basics\ntitle: [unclosed\nkind: faq\n", encoding="utf-8")
    return path, "bad YAML"


def _unknown_key(entries: Path) -> tuple[Path, str]:
    path = entries / "escrow-basics.yaml"
    with path.open("a", encoding="utf-8") as f:
        f.write("author: somebody\n")
    return path, "unknown keys author"


BREAKAGES = pytest.mark.parametrize(
    "breakage",
    [_missing_id, _duplicate_id, _invalid_yaml, _unknown_key],
    ids=["missing-id", "duplicate-id", "invalid-yaml", "unknown-key"],
)


@BREAKAGES
def test_a_broken_knowledge_folder_stops_sync_naming_the_file_and_changes_nothing(
    breakage: Callable[[Path], tuple[Path, str]],
    seeded_app: App,
    sync: Sync,
    folder: Path,
    db: Engine,
) -> None:
    broken, reason = breakage(folder / "entries")
    before = rows(db)
    assert before

    code, out, err = sync(folder)

    assert code != 0
    assert str(broken) in err
    assert reason in err
    assert "created" not in out
    assert rows(db) == before


@BREAKAGES
def test_one_broken_file_means_not_even_the_folders_good_changes_are_applied(
    breakage: Callable[[Path], tuple[Path, str]],
    seeded_app: App,
    sync: Sync,
    folder: Path,
    db: Engine,
) -> None:
    # bot-help sorts before the broken file, work-before-funding after it.
    rewrite_answer(folder, "bot-help", "A changed answer that must not be applied.")
    rewrite_answer(folder, "work-before-funding", "Another change that must not be applied.")
    broken, reason = breakage(folder / "entries")
    before = rows(db)

    code, _, err = sync(folder)

    assert code != 0
    assert str(broken) in err and reason in err
    assert rows(db) == before
    assert answer_in_db(db, "bot-help") != "A changed answer that must not be applied."


def test_a_broken_knowledge_folder_leaves_an_empty_database_empty(
    sync: Sync, folder: Path, db: Engine
) -> None:
    broken, reason = _unknown_key(folder / "entries")

    code, _, err = sync(folder)

    assert code != 0 and str(broken) in err and reason in err
    assert rows(db) == []


def test_serve_is_reminded_of_pack_entries_the_database_was_never_seeded_with(
    seeded_app: App, make_app: Callable[..., App], database_url: str, folder: Path,
) -> None:
    assert unsynced_pack(seeded_app) is None
    rewrite_answer(folder, "escrow-basics", "Escrow, explained anew.")
    added = dataclasses.replace(load_entries(folder)[0], id="late-fees", title="Late fees")
    (folder / "entries" / "late-fees.yaml").write_text(dump_entry(added), encoding="utf-8")

    upgraded = make_app(database_url, knowledge_dir=folder)
    assert unsynced_pack(upgraded) == (
        "the knowledge pack has 1 new and 1 updated entries that the database does not "
        "have; `forumbot knowledge sync` loads them (moderators' changes are kept)")
    upgraded.faq.sync(upgraded.pack.entries)
    assert unsynced_pack(upgraded) is None
