"""`forumbot stats`: per-entry figures, totals, the decline rate and the entries to review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.cli.inbox import stats_lines
from adapters.cli.main import run
from bot.app import App
from bot.faq.policy import Outcome
from bot.inbox.question_log import AskedQuestion
from bot.inbox.stats import EntryCounts, OutcomeTotals, entry_stats, stats_report
from bot.settings import sqlite_url
from bot.storage.question_store import SqlQuestionLog

SINCE = datetime(2026, 11, 1, tzinfo=UTC)


def test_an_entry_is_asked_when_answered_or_offered_and_its_helpful_share_is_of_ratings() -> None:
    row = entry_stats(EntryCounts("escrow-basics", answered=7, suggested=3, helpful=3,
                                  ratings=4, last_asked=SINCE), "Escrow")
    assert (row.asked, row.answered, row.suggested, row.helpful_share) == (10, 7, 3, 0.75)
    assert entry_stats(EntryCounts("x"), "X").helpful_share is None


@pytest.mark.parametrize(("helpful", "ratings", "listed"), [
    (2, 5, True),    # 40% of 5
    (0, 4, False),   # too few ratings to judge
    (5, 10, False),  # 50% is not low
    (4, 9, True),    # 44%
])
def test_an_entry_is_listed_for_review_with_enough_ratings_and_too_few_helpful(
    helpful: int, ratings: int, listed: bool,
) -> None:
    row = entry_stats(EntryCounts("x", answered=ratings, helpful=helpful, ratings=ratings), "X")
    assert row.needs_review is listed


def test_the_report_lists_live_entries_most_asked_first_and_keeps_removed_ones_unreviewed(
) -> None:
    counts = [EntryCounts("refund-request", answered=1, suggested=4, helpful=1, ratings=6),
              EntryCounts("gone", answered=9, helpful=0, ratings=7),
              EntryCounts("escrow-basics", answered=5, helpful=0, ratings=5)]
    report = stats_report(SINCE, counts, OutcomeTotals(15, 4, 5),
                          {"escrow-basics": "Escrow", "refund-request": "Refunds",
                           "unasked": "Never asked"})
    assert [(r.entry_id, r.title, r.asked) for r in report.rows] == [
        ("gone", "gone", 9), ("escrow-basics", "Escrow", 5), ("refund-request", "Refunds", 5),
        ("unasked", "Never asked", 0)]  # equally asked: the more often answered first
    assert [r.entry_id for r in report.to_review] == ["escrow-basics", "refund-request"]
    assert not report.rows[0].needs_review  # removed: nothing left to review
    assert report.totals.questions == 24 and report.totals.decline_rate == 5 / 24
    assert OutcomeTotals().decline_rate is None


def test_forumbot_stats_prints_the_table_the_totals_and_the_entries_to_review(
    make_app: Callable[..., App], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    app = make_app(sqlite_url(tmp_path / "data" / "forumbot.db"))
    now = datetime.now(UTC)
    at = [now - timedelta(days=40)]
    log = SqlQuestionLog(app.engine, clock=lambda: at[0])
    log.record_question(AskedQuestion("console", True, Outcome.ANSWER, "escrow-basics", (), None))
    at[0] = now - timedelta(days=3)
    for outcome, entry_id, suggestions, text in [
        (Outcome.ANSWER, "escrow-basics", (), None),
        (Outcome.ANSWER, "escrow-basics", (), None),
        (Outcome.SUGGEST, None, ("escrow-basics", "refund-request"), "money back?"),
        (Outcome.DECLINE, None, (), "dark mode?"),
    ]:
        log.record_question(AskedQuestion("console", True, outcome, entry_id, suggestions, text))
    for helpful in (True, False, False, False, False):
        log.record_rating("escrow-basics", helpful, "console")

    environ = {"FORUMBOT_DATA_DIR": str(tmp_path / "data")}
    assert run(["stats", "--days", "7"], environ) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["entry", "asked", "answered", "suggested", "helpful",
                                "ratings", "last", "asked"]
    assert lines[2].split()[:6] == ["escrow-basics", "3", "2", "1", "20%", "5"]
    assert lines[3].split()[:6] == ["refund-request", "1", "0", "1", "-", "0"]
    assert lines[4].split()[1:] == ["0", "0", "0", "-", "0", "-"]
    assert any(line.startswith("last 7 days") and line.endswith(
        "4 questions, 2 answered, 1 with choices, 1 declined; decline rate 25%")
        for line in lines)
    assert lines[-2:] == ["to review (at least 5 ratings, under 50% helpful):",
                          "- escrow-basics: 20% helpful of 5 ratings (What escrow is)"]
    assert run(["stats", "--days", "0"], environ) == 2
    assert "--days must be from 1 to 36,500, not 0" in capsys.readouterr().err
    assert run(["stats", "--days", "100000000"], environ) == 2
    assert "--days must be from 1 to 36,500" in capsys.readouterr().err


def test_two_long_ids_that_share_their_first_32_characters_are_shown_whole_and_aligned() -> None:
    first, second = "a" * 32 + "-first", "a" * 32 + "-second-and-longest"
    report = stats_report(SINCE, [EntryCounts(first, answered=2), EntryCounts(second, answered=1)],
                          OutcomeTotals(answered=3), {first: "First", second: "Second"})
    lines = stats_lines(report, 7)
    assert [line.split()[0] for line in lines[2:4]] == [first, second]
    last_asked = lines[0].index("last asked")
    assert lines[2].rindex("-") == lines[3].rindex("-") == last_asked
    assert len(lines[1]) >= len(lines[3])


def test_a_helpful_share_just_under_half_is_not_shown_as_half() -> None:
    counts = [EntryCounts("escrow-basics", answered=400, helpful=199, ratings=400)]
    report = stats_report(SINCE, counts, OutcomeTotals(answered=400), {"escrow-basics": "E"})
    assert stats_lines(report, 7)[-1] == "- escrow-basics: 49% helpful of 400 ratings (E)"
