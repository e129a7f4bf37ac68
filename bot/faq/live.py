"""The FAQ entries and matcher in use, rebuilt when the database's FAQ revision moves.

Every FAQ change bumps a revision counter in the same transaction. Each process checks it at
most once per `poll_every` seconds when it needs the entries, so a change made by one
`forumbot serve` replica is answered by all of them within about a second; the process that
made the change calls `refresh()` and sees it at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.faq.entries import FaqEntry
from bot.faq.matching import Ranker
from bot.faq.policy import Decision, Thresholds, decide

log = logging.getLogger(__name__)
POLL_EVERY = 1.0  # seconds; keeps other replicas within the 2-second promise


@dataclass(frozen=True)
class Snapshot:
    """The live entries by id and a matcher built over them."""

    entries: Mapping[str, FaqEntry]
    matcher: Ranker

    def decide(self, text: str, thresholds: Thresholds) -> Decision:
        """Answer, suggest or decline for a message, by this snapshot's matcher."""
        return decide(self.matcher.rank(text), thresholds, len(text.split()))


class LiveFaq:
    """Hands out the current snapshot; rebuilds it when the revision has moved."""

    def __init__(self, build: Callable[[], Snapshot], revision: Callable[[], int],
                 poll_every: float = POLL_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._build, self._revision = build, revision
        self._poll_every, self._clock = poll_every, clock
        self._lock = threading.Lock()
        self._seen = revision()
        self._snapshot = build()
        self._checked = clock()

    @classmethod
    def fixed(cls, snapshot: Snapshot) -> LiveFaq:
        """A snapshot that never changes (unit tests, evaluation)."""
        return cls(lambda: snapshot, lambda: 0)

    def current(self) -> Snapshot:
        """The snapshot, rebuilt first if the revision moved since the last check; while the
        database does not answer, the one in memory (checked again `poll_every` later)."""
        if self._clock() - self._checked >= self._poll_every:
            try:
                self.refresh()
            except Exception as exc:  # the database is away: answer from memory meanwhile
                log.warning("FAQ revision check failed (%s); answering from memory",
                            type(exc).__name__)
        return self._snapshot

    def refresh(self) -> None:
        """Rebuild now if anything changed (the process that made a change calls this)."""
        with self._lock:
            self._checked = self._clock()
            revision = self._revision()  # read before building: a later change rebuilds again
            if revision != self._seen:
                self._snapshot = self._build()
                self._seen = revision
