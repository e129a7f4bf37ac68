"""The question log, the inbox, "did you mean" candidates, feedback and stats on SQLAlchemy.

Every write is one short transaction on rows no other write changes, so any number of
`forumbot serve` processes can log to one database. Closing inbox items only changes rows
still open: of two moderators acting on the same group, the second closes nothing.

Members' words are kept for `retention` (90 days by default): then the text of a question, a
pick and a queued hand-off is deleted, and the question still counts in the stats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, case, delete, func, insert, select, true, update
from sqlalchemy.orm import Session

from bot.audit import AuditRecord
from bot.inbox.grouping import Candidate, OpenQuestion
from bot.inbox.question_log import AskedQuestion
from bot.inbox.stats import EntryCounts, OutcomeTotals
from bot.storage.audit_store import add_audit
from bot.storage.database import one_statement
from bot.storage.models import CandidatePhrasingRow, FeedbackRow, HandoffRow, QuestionRow

_CHUNK = 500  # ids per `IN (...)`: well inside every database's limit on parameters
DEFAULT_RETENTION = timedelta(days=90)
_RECORD = insert(QuestionRow)  # built once (compiled once): one per question
_PURGE_EVERY = timedelta(hours=1)  # when questions are logged; listing the inbox always purges


def _changed(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


class SqlQuestionLog:
    """Implements `bot.inbox.question_log.QuestionLog` and `bot.inbox.grouping.Inbox`, and counts
    for stats."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime],
                 retention: timedelta = DEFAULT_RETENTION) -> None:
        self._engine = engine
        self._one = one_statement(engine)
        self._clock = clock
        self._retention = retention
        self._purged_at: datetime | None = None

    def forget_old_words(self) -> None:
        """Delete the words of questions, picks and queued hand-offs older than the retention."""
        now = self._clock()
        cutoff = now - self._retention
        with Session(self._engine) as session, session.begin():
            session.execute(update(QuestionRow)
                            .where(QuestionRow.at < cutoff, QuestionRow.text.is_not(None))
                            .values(text=None, inbox_status=None))
            session.execute(delete(CandidatePhrasingRow).where(CandidatePhrasingRow.at < cutoff))
            session.execute(delete(HandoffRow).where(HandoffRow.created_at < cutoff))
        self._purged_at = now

    def _forget_now_and_then(self) -> None:
        now = self._clock()
        if self._purged_at is None or not now - _PURGE_EVERY < self._purged_at <= now:
            self.forget_old_words()

    def record_question(self, question: AskedQuestion) -> None:
        """Log one question's outcome; one with text opens an inbox item."""
        # Written for every question: one Core insert, without an ORM session.
        with self._one.begin() as conn:
            conn.execute(_RECORD, {
                "at": self._clock(), "platform": question.platform,
                "channel_private": question.channel_private, "outcome": question.outcome.value,
                "entry_id": question.entry_id, "suggestions": list(question.suggestions),
                "text": question.text, "inbox_status": "open" if question.text else None})
        self._forget_now_and_then()

    def record_pick(self, text: str, entry_id: str) -> None:
        """Log a "did you mean" pick as an open candidate phrasing."""
        with Session(self._engine) as session, session.begin():
            session.add(CandidatePhrasingRow(at=self._clock(), text=text, entry_id=entry_id,
                                             status="open"))

    def record_rating(self, entry_id: str, helpful: bool, platform: str) -> None:
        """Log a rating of an answer."""
        with Session(self._engine) as session, session.begin():
            session.add(FeedbackRow(at=self._clock(), entry_id=entry_id, helpful=helpful,
                                    platform=platform))

    def open_questions(self, limit: int) -> list[OpenQuestion]:
        """The newest open questions, at most `limit`."""
        self.forget_old_words()
        with Session(self._engine) as session:
            rows = session.execute(
                select(QuestionRow.id, QuestionRow.at, QuestionRow.text, QuestionRow.suggestions)
                .where(QuestionRow.inbox_status == "open")
                .order_by(QuestionRow.at.desc(), QuestionRow.id.desc())
                .limit(limit))
            return [OpenQuestion(r.id, r.at, r.text or "", tuple(r.suggestions)) for r in rows]

    def close_questions(self, ids: Sequence[int], status: str,
                        action: Callable[[int], AuditRecord]) -> int:
        """Mark the still-open ones `attached` or `dismissed`; audited. How many were open."""
        closed = 0
        with Session(self._engine) as session, session.begin():
            for start in range(0, len(ids), _CHUNK):
                closed += _changed(session.execute(
                    update(QuestionRow)
                    .where(QuestionRow.id.in_(ids[start:start + _CHUNK]),
                           QuestionRow.inbox_status == "open")
                    .values(inbox_status=status)))
            add_audit(session, action(closed))
        return closed

    def open_candidates(self) -> list[Candidate]:
        """Open picks, identical ones (same words, same entry) counted once, most picked first."""
        self.forget_old_words()
        row = CandidatePhrasingRow
        count, last = func.count().label("n"), func.max(row.at).label("last")
        with Session(self._engine) as session:
            found = session.execute(
                select(func.min(row.id), row.text, row.entry_id, count, last)
                .where(row.status == "open")
                .group_by(row.text, row.entry_id)
                .order_by(count.desc(), last.desc(), func.min(row.id)))
            return [Candidate(i, text, entry_id, n, at) for i, text, entry_id, n, at in found]

    def close_candidate(self, candidate: Candidate, status: str,
                        action: Callable[[int], AuditRecord],
                        question_ids: Sequence[int] = ()) -> int:
        """Mark the candidate and identical open picks, and attach the open `question_ids`."""
        row = CandidatePhrasingRow
        with Session(self._engine) as session, session.begin():
            closed = _changed(session.execute(
                update(row)
                .where(row.status == "open", row.text == candidate.text,
                       row.entry_id == candidate.entry_id)
                .values(status=status)))
            for start in range(0, len(question_ids), _CHUNK):
                session.execute(update(QuestionRow)
                                .where(QuestionRow.id.in_(question_ids[start:start + _CHUNK]),
                                       QuestionRow.inbox_status == "open")
                                .values(inbox_status="attached"))
            add_audit(session, action(closed))
        return closed

    def activity(self, since: datetime) -> tuple[list[EntryCounts], OutcomeTotals]:
        """Per-entry counts and the totals by outcome, for questions and ratings since `since`."""
        q, fb = QuestionRow, FeedbackRow
        with Session(self._engine) as session:
            answered = session.execute(
                select(q.entry_id, func.count(), func.max(q.at))
                .where(q.outcome == "answer", q.at >= since, q.entry_id.is_not(None))
                .group_by(q.entry_id)).all()
            offered = _offered_entry(session)
            suggested = session.execute(
                select(offered, func.count(), func.max(q.at)).select_from(q)
                .join(offered.table, true())
                .where(q.outcome == "suggest", q.at >= since)
                .group_by(offered)).all()
            ratings = session.execute(
                select(fb.entry_id, func.count(), func.sum(case((fb.helpful, 1), else_=0)))
                .where(fb.at >= since).group_by(fb.entry_id)).all()
            by_outcome: dict[str, int] = {outcome: n for outcome, n in session.execute(
                select(q.outcome, func.count()).where(q.at >= since).group_by(q.outcome))}
        counts: dict[str, dict[str, Any]] = {}
        for entry_id, n, at in answered:
            counts.setdefault(str(entry_id), {}).update(answered=n, last_asked=at)
        for entry_id, n, at in suggested:
            c = counts.setdefault(entry_id, {})
            c["suggested"] = n
            c["last_asked"] = max(at, c.get("last_asked") or at)
        for entry_id, n, helpful in ratings:
            counts.setdefault(entry_id, {}).update(ratings=n, helpful=int(helpful or 0))
        totals = OutcomeTotals(by_outcome.get("answer", 0), by_outcome.get("suggest", 0),
                               by_outcome.get("decline", 0))
        return [EntryCounts(entry_id, **c) for entry_id, c in sorted(counts.items())], totals


def _offered_entry(session: Session) -> Any:
    """The `value` column of a table function over `questions.suggestions`' elements.

    Each database spells it its own way; both are lateral when listed after `questions`.
    """
    suggestions = QuestionRow.suggestions
    if session.get_bind().dialect.name == "postgresql":
        elements = func.json_array_elements_text(suggestions).table_valued("value")
    else:
        elements = func.json_each(suggestions).table_valued("value")
    return elements.c.value
