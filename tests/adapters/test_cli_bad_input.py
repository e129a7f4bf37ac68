"""The operator mistypes at the command line: each mistake is named, exits 2 and changes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.cli.main import run

Forumbot = Callable[..., tuple[int, str, str]]


def test_an_argument_that_is_not_utf8_is_refused_by_name_before_the_database_is_opened(
    forumbot: Forumbot, tmp_path: Path,
) -> None:
    status, out, err = forumbot("faq", "add", "x", "--title", "caf\udce9", "--answer", "a",
                                "--as", "ana", "--reason", "new")
    assert (status, out) == (2, "")
    assert err == ("forumbot: argument 5 'caf\\xe9' (the value of --title) is not valid "
                   "UTF-8; type it again in UTF-8\n")
    assert not (tmp_path / "data" / "forumbot.db").exists()


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])
@pytest.mark.parametrize("command", [
    ("faq", "add", "late-fees", "--title", "Late fees", "--reason", "asked"),
    ("inbox", "create", "1", "late-fees", "--title", "Late fees"),
])
def test_an_answer_on_standard_input_that_is_not_utf8_is_refused_and_nothing_is_saved(
    forumbot: Forumbot, monkeypatch: pytest.MonkeyPatch, errors: str, command: tuple[str, ...],
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"No late fees, caf\xe9.\n"), encoding="utf-8",
                             errors=errors)
    monkeypatch.setattr("sys.stdin", stdin)
    status, _, err = forumbot(*command, "--answer", "-", "--as", "ana")
    assert status == 2
    assert err == ("forumbot: standard input (--answer -) is not valid UTF-8; nothing was "
                   "saved\n")
    assert "late-fees" not in forumbot("faq", "list", "--all")[1]
    assert forumbot("audit")[1] == "no moderator actions yet\n"


@pytest.mark.parametrize(("out", "said"), [
    ("nowhere/faq.json", "cannot write {out}: there is no folder {tmp}/nowhere"),
    (".", "cannot write {out}: it is a folder, and --format json --out needs a file"),
    ("faq.yaml", "cannot write the pack to {out}: it is a file, and --format yaml --out "
                 "needs a folder"),
])
def test_an_export_to_a_path_it_cannot_write_names_the_path_and_the_reason(
    forumbot: Forumbot, tmp_path: Path, out: str, said: str,
) -> None:
    (tmp_path / "faq.yaml").write_text("keep me\n", encoding="utf-8")
    path = tmp_path / out
    fmt = "yaml" if out.endswith(".yaml") else "json"
    status, _, err = forumbot("faq", "export", "--format", fmt, "--out", str(path))
    assert status == 2
    assert err == f"forumbot: {said.format(out=path, tmp=tmp_path)}\n"
    assert (tmp_path / "faq.yaml").read_text(encoding="utf-8") == "keep me\n"


def _changed_pack(forumbot: Forumbot, folder: Path) -> Path:
    """An exported pack with one entry's title changed."""
    forumbot("faq", "export", "--format", "yaml", "--out", str(folder))
    entry = folder / "entries" / "escrow-basics.yaml"
    text = entry.read_text(encoding="utf-8")
    entry.write_text(text.replace("title: ", "title: Imported ", 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("command", "name"), [
    (("faq", "alias", "refund-request", "money back please"), ""),
    (("faq", "remove", "refund-request", "--reason", "old"), "   "),
    (("faq", "import", "{pack}"), "   "),
    (("faq", "import", "{pack}"), ""),
    (("inbox", "dismiss", "1"), ""),
    (("moderators", "add", "console:zoe"), ""),
    (("moderators", "add", "console:zoe"), "ana\nbob"),
])
def test_an_as_name_that_is_empty_or_blank_is_refused_and_nothing_changes(
    forumbot: Forumbot, tmp_path: Path, command: tuple[str, ...], name: str,
) -> None:
    pack = _changed_pack(forumbot, tmp_path / "pack")
    forumbot("ask", "can I change the dark mode colors?")
    status, out, err = forumbot(*(w.format(pack=pack) for w in command), "--as", name)
    assert (status, out) == (2, "")
    assert err.startswith("forumbot: --as needs a name of 1 to 100 visible characters")
    assert forumbot("audit")[1] == "no moderator actions yet\n"
    assert forumbot("moderators", "list")[1] == ""
    assert '#1: "can I change the dark mode colors?"' in forumbot("inbox")[1]


def test_eval_of_a_file_that_is_not_text_or_a_folder_to_write_to_is_refused(
    forumbot: Forumbot, tmp_path: Path,
) -> None:
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(bytes(range(256)) * 4)
    status, _, err = forumbot("eval", str(binary))
    assert (status, err) == (2, f"forumbot: cannot read {binary}: it is not UTF-8 text\n")
    good = tmp_path / "good.jsonl"
    good.write_text('{"q": "what is escrow?", "topic": "escrow-basics"}\n', encoding="utf-8")
    status, _, err = forumbot("eval", str(good), "--predictions", str(tmp_path))
    assert status == 2 and err.startswith(f"forumbot: cannot write {tmp_path}: ")


def test_a_knowledge_folder_with_a_folder_for_an_entry_file_is_refused_naming_it(
    forumbot: Forumbot, tmp_path: Path,
) -> None:
    pack = tmp_path / "pack"
    assert forumbot("faq", "export", "--format", "yaml", "--out", str(pack))[0] == 0
    (pack / "entries" / "zz-folder.yaml").mkdir()
    for command in (("knowledge", "sync", "--dir", str(pack)),
                    ("faq", "import", str(pack), "--dry-run")):
        status, _, err = forumbot(*command)
        assert status == 2 and "zz-folder.yaml: cannot be read: Is a directory" in err


def test_a_database_that_cannot_be_opened_is_named_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("", encoding="utf-8")
    assert run(["ask", "hi"], {"FORUMBOT_DATA_DIR": str(a_file)}) == 2
    assert capsys.readouterr().err.startswith("forumbot: cannot open the database sqlite")
    nobody = "postgresql+psycopg://postgres:secret@127.0.0.1:9/x"
    assert run(["ask", "hi"], {"FORUMBOT_DATABASE_URL": nobody}) == 2
    err = capsys.readouterr().err
    assert err.startswith("forumbot: cannot open the database postgresql+psycopg://postgres:***@")
    assert "secret" not in err and "Traceback" not in err


def test_serve_refuses_a_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(["serve", "--port", "99999"], {})
    assert exit_.value.code == 2
    assert "a port is a number from 0 to 65535, not '99999'" in capsys.readouterr().err
