"""`forumbot eval`: answers listed in `also` count as right; each matcher can be measured."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path


def _questions(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_an_answer_listed_in_also_counts_as_right_not_wrong(
    forumbot: Callable[..., tuple[int, str, str]], tmp_path: Path,
) -> None:
    questions = _questions(tmp_path, [
        {"q": "who sets the milestones?", "topic": "milestones-basics",
         "also": ["milestones-who-sets"]},
        {"q": "who sets the milestones?", "topic": "milestones-basics"},
    ])
    status, out, _ = forumbot("eval", str(questions), "--matcher", "lexical")
    assert status == 0
    assert "matcher                            lexical" in out
    assert "in-scope answered right             50.0%" in out
    assert "wrong answers (of all questions)    50.0%" in out


def test_also_that_is_not_a_list_of_ids_is_refused_naming_the_line(
    forumbot: Callable[..., tuple[int, str, str]], tmp_path: Path,
) -> None:
    questions = _questions(tmp_path, [{"q": "hi", "topic": "bot-help", "also": "x"}])
    status, _, err = forumbot("eval", str(questions))
    assert status == 2 and ":1:" in err and "also" in err


def test_eval_measures_the_matcher_asked_for(
    forumbot: Callable[..., tuple[int, str, str]], tmp_path: Path,
) -> None:
    questions = _questions(tmp_path, [
        {"q": "my funds are pending clearance after the buyer marked the order complete",
         "topic": "payment-stages"},
    ])
    for matcher in ("semantic", "fused"):
        status, out, _ = forumbot("eval", str(questions), "--matcher", matcher)
        assert status == 0
        assert f"matcher                            {matcher}" in out
        assert "right topic among answer/choices   100.0%" in out
        assert "latency p50 / p99" in out
