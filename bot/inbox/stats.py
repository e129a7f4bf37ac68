"""Usage statistics per FAQ entry over a period, from the counts the store aggregates.

An entry is "asked" each time it was answered or offered as a "did you mean" choice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

# An entry is listed for review when it has at least this many ratings in the period...
MIN_RATINGS_FOR_REVIEW = 5
# ...and less than this share of them said it helped.
LOW_HELPFUL_SHARE = 0.5
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class EntryCounts:
    """What the store counted for one entry in the period."""

    entry_id: str
    answered: int = 0
    suggested: int = 0
    helpful: int = 0
    ratings: int = 0
    last_asked: datetime | None = None


@dataclass(frozen=True)
class OutcomeTotals:
    """Every question logged in the period, by outcome."""

    answered: int = 0
    suggested: int = 0
    declined: int = 0

    @property
    def questions(self) -> int:
        """All questions in the period."""
        return self.answered + self.suggested + self.declined

    @property
    def decline_rate(self) -> float | None:
        """The share of questions declined; None when there were none."""
        return self.declined / self.questions if self.questions else None


@dataclass(frozen=True)
class EntryStats:
    """One row of the table."""

    entry_id: str
    title: str
    asked: int
    answered: int
    suggested: int
    ratings: int
    helpful_share: float | None  # None without ratings
    last_asked: datetime | None
    live: bool = True  # False once the entry was removed

    @property
    def needs_review(self) -> bool:
        """A live entry with enough ratings, and too few of them helpful."""
        return (self.live and self.ratings >= MIN_RATINGS_FOR_REVIEW
                and self.helpful_share is not None and self.helpful_share < LOW_HELPFUL_SHARE)


@dataclass(frozen=True)
class StatsReport:
    """The table, most asked first, the totals and the entries to review, since `since`."""

    since: datetime
    rows: tuple[EntryStats, ...]
    totals: OutcomeTotals

    @property
    def to_review(self) -> tuple[EntryStats, ...]:
        """Entries with a low helpful rate, least helpful first."""
        low = [r for r in self.rows if r.needs_review]
        return tuple(sorted(low, key=lambda r: (r.helpful_share or 0.0, -r.ratings, r.entry_id)))


def entry_stats(counts: EntryCounts, title: str | None) -> EntryStats:
    """One entry's row from its counts; a removed entry (no title) is titled by its id."""
    share = counts.helpful / counts.ratings if counts.ratings else None
    return EntryStats(counts.entry_id, title or counts.entry_id,
                      counts.answered + counts.suggested, counts.answered, counts.suggested,
                      counts.ratings, share, counts.last_asked, live=title is not None)


def stats_report(since: datetime, counts: Sequence[EntryCounts], totals: OutcomeTotals,
                 titles: Mapping[str, str]) -> StatsReport:
    """Every live entry (`titles`) and every entry with activity, most asked first.

    An entry that is no longer live keeps its row, titled by its id, and is not listed for
    review.
    """
    by_id = {c.entry_id: c for c in counts}
    rows = [entry_stats(by_id.get(i, EntryCounts(i)), titles.get(i))
            for i in sorted(set(by_id) | set(titles))]
    rows.sort(key=lambda r: (-r.asked, -r.answered, r.entry_id))
    return StatsReport(since, tuple(rows), totals)
