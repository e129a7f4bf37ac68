"""The operator edits the FAQ and the moderators table with `forumbot` at the server."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

Forumbot = Callable[..., tuple[int, str, str]]


def test_the_operator_adds_edits_and_reverts_an_entry_with_history_and_diff(
    forumbot: Forumbot, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("There are **no** late fees.\n"))
    assert forumbot("faq", "add", "late-fees", "--title", "Late fees", "--answer", "-",
                    "--alternate", "is there a penalty for paying late", "--tag", "fees",
                    "--as", "ana", "--reason", "asked twice")[:2] == (
        0, "Added `late-fees`: it is now version 1. Members get the change at once.\n")
    assert forumbot("faq", "edit", "late-fees", "--title", "Late payment fees", "--as", "bob",
                    "--reason", "clearer", "--base", "1")[0] == 0
    assert forumbot("faq", "alias", "late-fees", "fee", "for", "paying", "late",
                    "--as", "ana")[0] == 0
    assert forumbot("faq", "revert", "late-fees", "1", "--as", "ana")[0] == 0

    status, out, _ = forumbot("faq", "history", "late-fees")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "History of `late-fees`, newest first:"
    assert lines[1].startswith("- version 4, ") and lines[1].endswith(
        "ana: reverted to version 1")
    assert lines[3].endswith("bob: clearer") and lines[4].endswith("ana: asked twice")

    status, out, _ = forumbot("faq", "diff", "late-fees", "1", "2")
    assert out.splitlines()[:2] == ["--- late-fees version 1", "+++ late-fees version 2"]
    assert "-title: Late fees\n+title: Late payment fees\n" in out
    assert forumbot("ask", "fee for paying late")[1].startswith("There are no late fees.")


def test_a_stale_base_version_is_refused_naming_who_changed_it(forumbot: Forumbot) -> None:
    forumbot("faq", "alias", "refund-request", "money back please", "--as", "ana")
    status, _, err = forumbot("faq", "remove", "refund-request", "--base", "1", "--as", "bob",
                              "--reason", "outdated")
    assert status == 2
    assert "changed since version 1: version 2 is by ana" in err
    assert "refund-request" in forumbot("faq", "list")[1]


def test_changes_need_as_and_removed_entries_are_listed_with_all(forumbot: Forumbot) -> None:
    with pytest.raises(SystemExit) as exited:
        forumbot("faq", "remove", "refund-request", "--reason", "outdated")
    assert exited.value.code == 2
    assert forumbot("faq", "remove", "refund-request", "--reason", "outdated",
                    "--as", "ana")[0] == 0
    assert "refund-request" not in forumbot("faq", "list")[1]
    assert "refund-request" in forumbot("faq", "list", "--all")[1].split("(removed)")[0]


def test_moderators_are_added_listed_and_removed_and_every_action_is_audited(
    forumbot: Forumbot,
) -> None:
    assert forumbot("moderators", "add", "slack:T1/U2", "--as", "ops")[1] == (
        "slack:T1/U2 is now a moderator\n")
    assert forumbot("moderators", "add", "slack:T1/U2")[1] == (
        "slack:T1/U2 is already a moderator\n")
    assert forumbot("moderators", "list")[1].startswith("slack:T1/U2 ")
    status, _, err = forumbot("moderators", "add", "ana")
    assert status == 2 and "'ana' is not an identity" in err
    assert forumbot("ask", "--user", "bob", "faq restore refund-request")[1].startswith(
        "Only moderators can do that")
    assert forumbot("moderators", "remove", "slack:T1/U2", "--as", "ops")[0] == 0
    forumbot("faq", "alias", "refund-request", "money back please", "--as", "ana")

    audit = forumbot("audit", "--limit", "2")[1].splitlines()
    assert audit[0].endswith("ana faq alias refund-request: version 2: added phrasing "
                             "'money back please'; reason: added a phrasing")
    assert audit[1].endswith("ops moderator remove slack:T1/U2: removed")
    assert len(forumbot("audit")[1].splitlines()) == 3
    status, _, err = forumbot("audit", "--limit", "100000000000000000000")
    assert status == 2 and "--limit must be from 1 to 1,000,000" in err


def test_a_moderator_edits_from_the_console_chat(forumbot: Forumbot) -> None:
    forumbot("moderators", "add", "console:ana")
    out = forumbot("ask", "--user", "ana",
                   'faq edit refund-request --title "Refunds" --reason "shorter"')[1]
    assert out == "Changed `refund-request`: it is now version 2. Members get the change at once.\n"


@pytest.mark.parametrize("typed", ["ESCROW-BASICS", " escrow-basics ", "Escrow-Basics"])
def test_faq_show_finds_an_id_typed_in_capitals_or_with_spaces(
    forumbot: Forumbot, typed: str,
) -> None:
    status, out, _ = forumbot("faq", "show", typed)
    assert status == 0
    assert out.startswith("id: escrow-basics\n")


def test_faq_show_of_a_removed_entry_says_it_is_removed_and_how_to_restore_it(
    forumbot: Forumbot,
) -> None:
    forumbot("faq", "remove", "escrow-basics", "--reason", "outdated", "--as", "ana")
    status, out, err = forumbot("faq", "show", "Escrow-Basics")
    assert (status, out) == (2, "")
    assert "'escrow-basics' is removed; `forumbot faq restore escrow-basics --as WHO` " \
        "brings it back" in err


def _exported_pack(forumbot: Forumbot, folder: Path) -> Path:
    forumbot("faq", "export", "--format", "yaml", "--out", str(folder))
    return folder


def test_a_dry_run_names_each_removed_entry_to_restore_and_one_import_is_one_entry(
    forumbot: Forumbot, tmp_path: Path,
) -> None:
    pack = _exported_pack(forumbot, tmp_path / "pack")
    forumbot("faq", "remove", "escrow-basics", "--reason", "outdated", "--as", "ana")

    status, out, _ = forumbot("faq", "import", str(pack), "--dry-run")
    assert status == 0
    assert out.splitlines() == [
        "restore escrow-basics (removed in the database; same content)",
        "dry run: 0 to add, 0 to change, 1 to restore; nothing changed"]

    status, out, _ = forumbot("faq", "import", str(pack), "--as", "bob")
    assert status == 0
    assert out.splitlines()[-1] == "imported 1 entry: 0 to add, 0 to change, 1 to restore"
    assert forumbot("faq", "show", "escrow-basics")[0] == 0


def test_an_import_without_a_reason_is_refused_before_any_diff_is_printed(
    forumbot: Forumbot, tmp_path: Path,
) -> None:
    pack = _exported_pack(forumbot, tmp_path / "pack")
    entry = pack / "entries" / "escrow-basics.yaml"
    entry.write_text(entry.read_text(encoding="utf-8").replace("title: ", "title: New ", 1),
                     encoding="utf-8")

    status, out, err = forumbot("faq", "import", str(pack), "--as", "bob", "--reason", " ")
    assert (status, out) == (2, "")
    assert "Give a reason for the change" in err
    assert forumbot("audit")[1] == "no moderator actions yet\n"
