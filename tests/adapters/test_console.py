"""End to end: the `forumbot` command at a console, as a member and an operator use it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli.main import run


def forumbot(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"FORUMBOT_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path), "FORUMBOT_MATCHER": "lexical"}
    return subprocess.run([sys.executable, "-m", "adapters.cli.main", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def test_chat_answers_offers_choices_takes_a_number_and_quits(tmp_path: Path) -> None:
    lines = [
        "who sets the milestones?",
        "client ended the contract, what about the milestones",
        "1",
        "/help",
        "/quit",
    ]
    result = forumbot(tmp_path, "chat", "--user", "ana", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Type /help for commands" in out and "console:ana" in out
    assert "The client sets the milestones" in out
    assert "Reply with a number" in out
    _, after = out.split("Reply with a number", 1)
    assert "1. " in after
    assert "Commands:" in after
    assert result.stderr == ""


def test_ask_prints_one_answer_and_needs_no_setup(tmp_path: Path) -> None:
    result = forumbot(tmp_path, "ask", "what is escrow?")
    assert result.returncode == 0, result.stderr
    assert "escrow" in result.stdout.lower()
    assert (tmp_path / "data" / "forumbot.db").exists()


@pytest.mark.parametrize("command", [("ask", "what is escrow?"), ("faq", "export")])
def test_output_piped_into_a_reader_that_stops_early_ends_quietly(
    tmp_path: Path, command: tuple[str, ...],
) -> None:
    env = {"FORUMBOT_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path), "FORUMBOT_MATCHER": "lexical"}
    with subprocess.Popen([sys.executable, "-m", "adapters.cli.main", *command], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # like `| head -c0`: the reader is gone before any output
        err = process.stderr.read().decode()
        status = process.wait(timeout=60)
    assert (status, err) == (1, "")


def environ(tmp_path: Path) -> dict[str, str]:
    return {"FORUMBOT_DATA_DIR": str(tmp_path / "data"), "FORUMBOT_MATCHER": "lexical"}


def test_faq_export_json_lists_every_entry_with_the_documented_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "faq.json"
    assert run(["faq", "export", "--format", "json", "--out", str(out)], environ(tmp_path)) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data) == 31
    assert all(set(item) == {"id", "title", "kind", "alternates", "tags", "answer"}
               for item in data)


def test_faq_export_yaml_writes_pack_files_that_load_back_identically(tmp_path: Path) -> None:
    from bot.faq.knowledge_pack import load_entries
    from bot.resources import knowledge_dir

    out = tmp_path / "exported"
    assert run(["faq", "export", "--format", "yaml", "--out", str(out)], environ(tmp_path)) == 0
    assert load_entries(out) == load_entries(knowledge_dir())
    for path in (out / "entries").glob("*.yaml"):
        shipped = knowledge_dir() / "entries" / path.name
        assert path.read_bytes() == shipped.read_bytes()


def test_faq_list_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["faq", "list"], environ(tmp_path)) == 0
    listed = capsys.readouterr().out
    assert "refund-request" in listed and len(listed.splitlines()) == 31
    assert run(["faq", "show", "refund-request"], environ(tmp_path)) == 0
    assert "id: refund-request" in capsys.readouterr().out
    assert run(["faq", "show", "nope"], environ(tmp_path)) == 2
    assert "'nope'" in capsys.readouterr().err


def test_eval_prints_the_quality_figures_and_writes_predictions_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"q": "who sets the milestones?", "topic": "milestones-who-sets", "note": "x"}\n'
        '{"q": "how do I buy connects", "topic": null}\n', encoding="utf-8")
    predictions = tmp_path / "p.jsonl"
    code = run(["eval", str(questions), "--predictions", str(predictions)], environ(tmp_path))
    assert code == 0
    out = capsys.readouterr().out
    assert "in-scope answered right            100.0%" in out
    assert "off-topic declined                 100.0%" in out
    lines = [json.loads(x) for x in predictions.read_text(encoding="utf-8").splitlines()]
    assert [(x["q"], x["decision"], x["topic"]) for x in lines] == [
        ("who sets the milestones?", "answer", "milestones-who-sets"),
        ("how do I buy connects", "decline", None),
    ]
    assert set(lines[0]) == {"q", "decision", "topic", "score", "suggestions"}


def test_eval_of_a_malformed_file_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "bad.jsonl"
    questions.write_text('{"q": "fine", "topic": null}\n{"q": \n', encoding="utf-8")
    assert run(["eval", str(questions)], environ(tmp_path)) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err


def test_a_bad_setting_is_reported_with_its_key_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = environ(tmp_path) | {"FORUMBOT_ANSWER_THRESHOLD": "high"}
    assert run(["ask", "hi"], env) == 2
    assert "FORUMBOT_ANSWER_THRESHOLD='high'" in capsys.readouterr().err


def test_questions_passed_to_moderators_are_listed_for_the_operator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = environ(tmp_path)
    assert run(["ask", "--user", "bo", "moderator my client vanished with my files"], env) == 0
    capsys.readouterr()
    assert run(["handoffs"], env) == 0
    assert "console:bo (console): my client vanished with my files" in capsys.readouterr().out
