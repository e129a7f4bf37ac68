"""Storage on a real SQLite file and a real PostgreSQL: migrations, seeding, sync, hand-offs."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.cli import run
from bot.app import App
from bot.knowledge_pack import KnowledgePack, dump_entry, load_entries
from bot.resources import knowledge_dir
from bot.storage.database import SCHEMA_REVISION, current_revision


def snapshot(app: App) -> list[tuple[object, ...]]:
    with app.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, title, answer, alternates, tags, seeded_hash "
                                 "FROM faq_entries ORDER BY id"))
        return [tuple(r) for r in rows]


def test_first_start_migrates_to_the_newest_schema_and_seeds_the_pack(
    make_app: Callable[..., App], database_url: str, pack: KnowledgePack
) -> None:
    app = make_app(database_url)
    assert current_revision(app.engine) == SCHEMA_REVISION
    assert [e.id for e in app.faq.all_entries()] == sorted(e.id for e in pack.entries)
    assert app.faq.get("refund-request") == next(e for e in pack.entries
                                                 if e.id == "refund-request")


def test_a_second_start_neither_reseeds_nor_loses_a_change(
    make_app: Callable[..., App], database_url: str
) -> None:
    first = make_app(database_url)
    with first.engine.begin() as conn:
        conn.execute(text("UPDATE faq_entries SET answer = 'Edited by a moderator.' "
                          "WHERE id = 'escrow-basics'"))
    second = make_app(database_url)
    entry = second.faq.get("escrow-basics")
    assert entry is not None and entry.answer == "Edited by a moderator."
    assert len(second.faq.all_entries()) == len(first.faq.all_entries())


def test_sync_is_idempotent(make_app: Callable[..., App], database_url: str,
                            pack: KnowledgePack) -> None:
    app = make_app(database_url)
    before = snapshot(app)
    report = app.faq.sync(pack.entries)
    assert report.unchanged == tuple(e.id for e in pack.entries)
    assert not report.changed and snapshot(app) == before


def test_sync_updates_untouched_entries_and_never_overwrites_a_moderators_change(
    make_app: Callable[..., App], database_url: str, pack: KnowledgePack
) -> None:
    app = make_app(database_url)
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE faq_entries SET answer = 'Moderator text.' "
                          "WHERE id = 'refund-request'"))
    changed = [dataclasses.replace(e, answer=e.answer + "\n\nUpdated in the pack.")
               if e.id in {"refund-request", "escrow-basics"} else e for e in pack.entries]
    report = app.faq.sync(changed)
    assert report.conflicts == ("refund-request",)
    assert report.updated == ("escrow-basics",)
    refund, escrow = app.faq.get("refund-request"), app.faq.get("escrow-basics")
    assert refund is not None and refund.answer == "Moderator text."
    assert escrow is not None and escrow.answer.endswith("Updated in the pack.")


@pytest.mark.parametrize("breakage", ["missing id", "duplicate id", "bad yaml", "unknown key"])
def test_a_broken_pack_stops_sync_naming_the_file_and_changes_nothing(
    make_app: Callable[..., App], database_url: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], breakage: str,
) -> None:
    app = make_app(database_url)
    folder = tmp_path / "pack"
    shutil.copytree(knowledge_dir(), folder)
    entries = folder / "entries"
    # A real change in one file, which must not be applied either.
    escrow = next(e for e in load_entries(folder) if e.id == "escrow-basics")
    (entries / "escrow-basics.yaml").write_text(
        dump_entry(dataclasses.replace(escrow, title="Changed title")), encoding="utf-8")
    target = entries / "refund-request.yaml"
    original = target.read_text(encoding="utf-8")
    if breakage == "missing id":
        target.write_text(original.replace("id: refund-request\n", ""), encoding="utf-8")
        reason = "missing id"
    elif breakage == "duplicate id":
        (entries / "zz-copy.yaml").write_text(original, encoding="utf-8")
        target, reason = entries / "zz-copy.yaml", "duplicate id 'refund-request'"
    elif breakage == "bad yaml":
        target.write_text(original + "tags: [unclosed\n", encoding="utf-8")
        reason = "bad YAML"
    else:
        target.write_text(original + "colour: red\n", encoding="utf-8")
        reason = "unknown keys colour"
    before = snapshot(app)
    code = run(["knowledge", "sync", "--dir", str(folder)],
               {"FORUMBOT_DATABASE_URL": database_url})
    err = capsys.readouterr().err
    assert code == 2
    assert str(target) in err and reason in err
    assert snapshot(app) == before


def test_a_declined_question_is_queued_for_moderators_only_for_its_asker(
    make_app: Callable[..., App], database_url: str
) -> None:
    app = make_app(database_url)
    app.handoffs.offer("console:ana", "console", True, "how do I change my username")
    app.handoffs.offer("console:bo", "console", True, "what is a badge")
    queued = app.handoffs.queue_last_offer("console:ana", within=timedelta(hours=1))
    assert queued is not None and queued.question == "how do I change my username"
    assert [(h.user, h.question) for h in app.handoffs.queued()] == [
        ("console:ana", "how do I change my username")
    ]
    assert app.handoffs.queue_last_offer("console:ana", within=timedelta(hours=1)) is None
