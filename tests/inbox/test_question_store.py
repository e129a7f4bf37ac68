"""The question log on a real database: no identity, the inbox's items, picks and the stats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, inspect, text

from bot.audit import AuditRecord
from bot.faq.policy import Outcome
from bot.inbox.question_log import AskedQuestion
from bot.inbox.stats import EntryCounts, OutcomeTotals
from bot.storage.audit_store import SqlAuditLog
from bot.storage.database import make_engine, upgrade
from bot.storage.question_store import SqlQuestionLog

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> list[datetime]:
    """The time the store reads; tests move it."""
    return [NOW]


@pytest.fixture
def log(engine: Engine, clock: list[datetime]) -> SqlQuestionLog:
    return SqlQuestionLog(engine, clock=lambda: clock[0])


def question(outcome: Outcome, entry_id: str | None = None, suggestions: tuple[str, ...] = (),
             text: str | None = None) -> AskedQuestion:
    return AskedQuestion("slack", False, outcome, entry_id, suggestions, text)


def audit(action: str) -> Callable[[int], AuditRecord]:
    """An audit record of how many items the action closed."""
    return lambda closed: AuditRecord(NOW, "console:mod", action, "group #1", f"{closed} closed")


def test_no_table_of_the_question_log_has_a_column_for_who_asked(engine: Engine) -> None:
    schema = inspect(engine)
    for table in ("questions", "candidate_phrasings", "feedback"):
        columns = {c["name"] for c in schema.get_columns(table)}
        assert not columns & {"user", "identity", "account_id", "channel"}, table


def test_only_questions_with_words_open_inbox_items_newest_first(
    log: SqlQuestionLog, clock: list[datetime],
) -> None:
    log.record_question(question(Outcome.ANSWER, "escrow-basics"))
    log.record_question(question(Outcome.DECLINE, text="is there a dark mode"))
    clock[0] += timedelta(minutes=1)
    hostile = "{{ 7*7 }} <!channel> 'quotes' \"double\" \u202e \\ %s ?"
    log.record_question(question(Outcome.SUGGEST, None, ("a", "b"), text=hostile))
    log.record_question(question(Outcome.SUGGEST, None, ("my-contracts",)))
    found = log.open_questions(10)
    assert [(q.text, q.suggestions, q.at) for q in found] == [
        (hostile, ("a", "b"), NOW + timedelta(minutes=1)), ("is there a dark mode", (), NOW)]
    assert [q.text for q in log.open_questions(1)] == [hostile]


def test_a_group_closes_once_and_the_second_moderator_closes_nothing(
    log: SqlQuestionLog, engine: Engine,
) -> None:
    for _ in range(3):
        log.record_question(question(Outcome.DECLINE, text="is there a dark mode"))
    ids = [q.id for q in log.open_questions(10)]
    assert log.close_questions(ids[:2], "dismissed", audit("inbox dismiss")) == 2
    assert log.close_questions(ids, "attached", audit("inbox attach")) == 1
    assert log.close_questions(ids, "attached", audit("inbox attach")) == 0
    assert log.open_questions(10) == []
    records = [(r.action, r.detail) for r in SqlAuditLog(engine).recent(10)]
    assert records == [("inbox attach", "0 closed"), ("inbox attach", "1 closed"),
                       ("inbox dismiss", "2 closed")]


def test_identical_picks_are_counted_once_and_accepting_closes_them_and_the_questions_given(
    log: SqlQuestionLog, clock: list[datetime],
) -> None:
    log.record_pick("contract over, milestones?", "contract-ended-funded")
    log.record_pick("refund?", "refund-request")
    clock[0] += timedelta(hours=1)
    log.record_pick("contract over, milestones?", "contract-ended-funded")
    log.record_pick("contract over, milestones?", "contract-ended-unfunded")
    log.record_question(question(Outcome.SUGGEST, None, ("x",), text="contract over, milestones?"))
    first, *others = log.open_candidates()
    assert (first.id, first.text, first.entry_id, first.count, first.last_at) == (
        1, "contract over, milestones?", "contract-ended-funded", 2, NOW + timedelta(hours=1))
    assert [(c.id, c.count) for c in others] == [(4, 1), (2, 1)]
    same, = log.open_questions(10)
    assert log.close_candidate(first, "accepted", audit("inbox accept"), [same.id]) == 2
    assert [c.id for c in log.open_candidates()] == [4, 2]
    assert log.open_questions(10) == []


def test_stats_count_each_entry_and_the_outcomes_within_the_period(
    log: SqlQuestionLog, clock: list[datetime],
) -> None:
    clock[0] = NOW - timedelta(days=40)  # before the period: not counted
    log.record_question(question(Outcome.ANSWER, "escrow-basics"))
    log.record_rating("escrow-basics", False, "slack")
    clock[0] = NOW - timedelta(days=2)
    log.record_question(question(Outcome.ANSWER, "escrow-basics"))
    log.record_question(question(Outcome.SUGGEST, None, ("escrow-basics", "refund-request"),
                                 text="money back?"))
    clock[0] = NOW - timedelta(days=1)
    log.record_question(question(Outcome.ANSWER, "escrow-basics"))
    log.record_question(question(Outcome.SUGGEST, None, ("refund-request",), text="refund?"))
    log.record_question(question(Outcome.DECLINE, text="dark mode?"))
    for helpful in (True, True, False):
        log.record_rating("escrow-basics", helpful, "console")
    counts, totals = log.activity(NOW - timedelta(days=30))
    assert counts == [
        EntryCounts("escrow-basics", answered=2, suggested=1, helpful=2, ratings=3,
                    last_asked=NOW - timedelta(days=1)),
        EntryCounts("refund-request", answered=0, suggested=2, last_asked=NOW - timedelta(days=1)),
    ]
    assert totals == OutcomeTotals(answered=2, suggested=2, declined=1)
    assert log.activity(NOW) == ([], OutcomeTotals())


def test_two_processes_log_to_one_database_and_share_one_inbox(
    database_url: str, clock: list[datetime],
) -> None:
    engines = [make_engine(database_url) for _ in range(2)]
    upgrade(engines[0])
    ours, theirs = (SqlQuestionLog(e, clock=lambda: clock[0]) for e in engines)
    ours.record_question(question(Outcome.DECLINE, text="is there a dark mode"))
    theirs.record_question(question(Outcome.DECLINE, text="dark mode?"))
    assert len(ours.open_questions(10)) == len(theirs.open_questions(10)) == 2
    for engine in engines:
        engine.dispose()



def test_members_words_are_deleted_after_the_retention_and_the_question_still_counts(
    engine: Engine, clock: list[datetime],
) -> None:
    log = SqlQuestionLog(engine, clock=lambda: clock[0], retention=timedelta(days=90))
    log.record_question(question(Outcome.DECLINE, text="can I pay in bitcoin"))
    log.record_pick("is there a late fee", "late-fees")
    clock[0] = NOW + timedelta(days=89)
    assert [q.text for q in log.open_questions(10)] == ["can I pay in bitcoin"]
    clock[0] = NOW + timedelta(days=91)
    log.record_question(question(Outcome.DECLINE, text="can I pay in gold"))
    assert [q.text for q in log.open_questions(10)] == ["can I pay in gold"]
    assert log.open_candidates() == []
    with engine.connect() as conn:
        texts = sorted(str(t) for t in conn.execute(text("SELECT text FROM questions")).scalars())
    assert texts == ["None", "can I pay in gold"]
    assert log.activity(NOW - timedelta(days=1))[1].declined == 2
