"""Export, sync into a fresh database, export again: the pack folder comes back byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cli.main import run
from bot.resources import knowledge_dir


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*.yaml"))}


def test_export_sync_export_is_byte_identical_and_equals_the_shipped_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    env_a = {"FORUMBOT_DATA_DIR": str(tmp_path / "a")}
    env_b = {"FORUMBOT_DATA_DIR": str(tmp_path / "b"), "FORUMBOT_SEED_ON_START": "false"}
    assert run(["faq", "export", "--format", "yaml", "--out", str(first)], env_a) == 0
    assert run(["knowledge", "sync", "--dir", str(first)], env_b) == 0
    assert "created 31" in capsys.readouterr().out
    assert run(["faq", "export", "--format", "yaml", "--out", str(second)], env_b) == 0
    assert files(first) == files(second)
    assert files(first) == files(knowledge_dir())


def test_an_export_over_an_old_folder_drops_entries_the_database_no_longer_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "pack"
    stale = out / "entries" / "old-entry.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("id: old-entry\n", encoding="utf-8")
    assert run(["faq", "export", "--format", "yaml", "--out", str(out)],
               {"FORUMBOT_DATA_DIR": str(tmp_path / "d")}) == 0
    assert not stale.exists()
    assert "removed old-entry.yaml" in capsys.readouterr().err
    assert len(list((out / "entries").glob("*.yaml"))) == 31


def test_faq_import_dry_run_shows_the_diff_and_changes_nothing_then_applies_as_versions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    env = {"FORUMBOT_DATA_DIR": str(tmp_path / "d")}
    pack = tmp_path / "pack"
    assert run(["faq", "export", "--format", "yaml", "--out", str(pack)], env) == 0
    edited = pack / "entries" / "refund-request.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace(
        "title: ", "title: Updated ", 1), encoding="utf-8")
    capsys.readouterr()

    assert run(["faq", "import", str(pack), "--dry-run"], env) == 0
    out = capsys.readouterr().out
    assert "+title: Updated " in out and "-title: " in out
    assert "dry run: 0 to add, 1 to change, 0 to restore; nothing changed" in out
    assert run(["faq", "show", "refund-request"], env) == 0
    assert "Updated" not in capsys.readouterr().out

    assert run(["faq", "import", str(pack)], env) == 2
    assert "--as WHO" in capsys.readouterr().err
    assert run(["faq", "import", str(pack), "--as", "mod-ana"], env) == 0
    assert "imported 1 entry" in capsys.readouterr().out
    assert run(["faq", "history", "refund-request"], env) == 0
    history = capsys.readouterr().out
    assert "mod-ana" in history and "imported from a pack folder" in history
    assert run(["faq", "import", str(pack), "--dry-run"], env) == 0
    assert "0 to add, 0 to change" in capsys.readouterr().out


def edit_file(pack: Path, entry_id: str, old: str, new: str) -> None:
    path = pack / "entries" / f"{entry_id}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"FORUMBOT_DATA_DIR": str(tmp_path / "d")}


@pytest.fixture
def pack(tmp_path: Path, env: dict[str, str]) -> Path:
    """The database's FAQ exported as a pack folder, to edit and import."""
    folder = tmp_path / "pack"
    assert run(["faq", "export", "--format", "yaml", "--out", str(folder)], env) == 0
    return folder


def test_an_import_with_one_bad_entry_changes_nothing_at_all(
    pack: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str],
) -> None:
    edit_file(pack, "refund-request", "title: ", "title: Updated ")
    edit_file(pack, "submit-work", "alternates:\n", "alternates:\n- what is escrow?\n")
    capsys.readouterr()

    assert run(["faq", "import", str(pack), "--as", "mod-ana"], env) == 2
    assert "'what is escrow?' already belongs to `escrow-basics`" in capsys.readouterr().err
    assert run(["faq", "history", "refund-request"], env) == 0
    assert "mod-ana" not in capsys.readouterr().out
    assert run(["audit"], env) == 0
    assert "faq import" not in capsys.readouterr().out


def test_an_import_may_move_a_phrasing_from_one_entry_to_another(
    pack: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str],
) -> None:
    edit_file(pack, "escrow-basics", "- what is escrow?\n", "")
    edit_file(pack, "submit-work", "alternates:\n", "alternates:\n- what is escrow?\n")
    capsys.readouterr()

    assert run(["faq", "import", str(pack), "--as", "mod-ana"], env) == 0
    assert "imported 2 entries: 0 to add, 2 to change" in capsys.readouterr().out
    assert run(["faq", "show", "submit-work"], env) == 0
    assert "what is escrow?" in capsys.readouterr().out
    assert run(["faq", "show", "escrow-basics"], env) == 0
    assert "what is escrow?" not in capsys.readouterr().out
    assert run(["audit"], env) == 0
    assert capsys.readouterr().out.count("faq import") == 2
