"""The unanswered-questions inbox: similar questions grouped, and the store port behind it.

Grouping is a greedy leader clustering. Questions are reduced to their sorted content stems
(question words and fillers dropped); identical reductions are counted once, and the most
asked reduction not yet grouped leads a new group that takes every ungrouped one at least
`SIMILARITY` alike. A group is named by its oldest question's id, which stays the same while
questions join it, so a moderator can list the inbox and act on a group later.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz, process

from bot.audit import AuditRecord
from bot.text import clean, phrasing_key, stem, stems

# Two questions group when the mean of rapidfuzz's token-set and token-sort ratios (0-100) of
# their reductions reaches this. Token-set alone scores 100 whenever one question's words are
# a subset of the other's ("paypal" and "withdraw my money to paypal"); token-sort weighs
# the words left over.
SIMILARITY = 80
_MIN_SORT = 2 * SIMILARITY - 100  # below it, not even a token-set ratio of 100 reaches the mean
# Words that say how something is asked rather than what, beyond `stems`' stopwords.
_FILLER = frozenset(stem(w) for w in """how what why when where who which whom whose my mine
    got get getting need know tell way ways""".split())
# The grouping reads the newest this many open questions.
INBOX_WINDOW = 5000
# How many of a group's other phrasings and suggested entries a listing shows.
SHOWN_PER_GROUP = 3


@dataclass(frozen=True)
class OpenQuestion:
    """A logged question waiting in the inbox: declined, or answered with suggestions only."""

    id: int
    at: datetime
    text: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionGroup:
    """Similar open questions; `key` is the oldest one's id and names the group."""

    key: int
    text: str  # the most asked wording
    count: int
    last_at: datetime
    question_ids: tuple[int, ...]
    phrasings: tuple[str, ...]  # distinct wordings, most asked first (`text` is the first)
    suggested: tuple[str, ...]  # entries the assistant offered for them, most offered first


@dataclass(frozen=True)
class Candidate:
    """A "did you mean" pick waiting for a moderator: the question and the entry chosen.

    `id` is the oldest of the identical open picks, `count` how many there are.
    """

    id: int
    text: str
    entry_id: str
    count: int
    last_at: datetime


class Inbox(Protocol):
    """The port for reading and closing inbox items; `bot.storage` implements it."""

    def open_questions(self, limit: int) -> list[OpenQuestion]:
        """The newest open questions, at most `limit`."""
        ...

    def close_questions(self, ids: Sequence[int], status: str, action: AuditRecord) -> int:
        """Mark the still-open ones of these questions `attached` or `dismissed`, audited.

        Returns how many were still open.
        """
        ...

    def open_candidates(self) -> list[Candidate]:
        """Open picks, identical ones counted once, most picked first."""
        ...

    def close_candidate(self, candidate: Candidate, status: str, action: AuditRecord,
                        question_ids: Sequence[int] = ()) -> int:
        """Mark the candidate (and identical open picks) `accepted` or `rejected`, audited,
        and the still-open ones of `question_ids` attached. Returns how many picks were
        still open.
        """
        ...


def reduction(text: str) -> str:
    """A question as compared: its sorted distinct content stems, or its folded text if none."""
    kept = sorted({s for s in stems(text) if s not in _FILLER})
    return " ".join(kept) if kept else " ".join(clean(text).casefold().split())


def _leaders(keys: list[str]) -> np.ndarray:
    """For each reduction (most asked first), the index of the one leading its group.

    The sorted-token ratio of every pair is cheap; the token-set ratio is computed only from
    a leader to the ungrouped reductions whose sorted-token ratio leaves the mean a chance.
    """
    token_sort = process.cdist(keys, keys, scorer=fuzz.ratio, processor=None, dtype=np.uint8,
                               workers=-1, score_cutoff=_MIN_SORT)  # keys are sorted already
    leader_of = np.full(len(keys), -1)
    for i in range(len(keys)):
        if leader_of[i] >= 0:
            continue
        leader_of[i] = i
        near = np.flatnonzero((token_sort[i] >= _MIN_SORT) & (leader_of < 0))
        if near.size:
            token_set = process.cdist([keys[i]], [keys[j] for j in near],
                                      scorer=fuzz.token_set_ratio, processor=None)[0]
            mean = (token_set + token_sort[i, near]) / 2
            leader_of[near[mean >= SIMILARITY]] = i
    return leader_of


def group_questions(questions: Sequence[OpenQuestion]) -> list[QuestionGroup]:
    """Similar questions together; most asked groups first, then most recently asked."""
    by_key: dict[str, list[OpenQuestion]] = {}
    for q in sorted(questions, key=lambda q: q.id):
        by_key.setdefault(reduction(q.text), []).append(q)
    keys = sorted(by_key, key=lambda k: (-len(by_key[k]), by_key[k][0].id))
    if not keys:
        return []
    leader_of = _leaders(keys)
    groups = [_group([q for j in np.flatnonzero(leader_of == i) for q in by_key[keys[j]]])
              for i in np.unique(leader_of)]
    return sorted(groups, key=lambda g: (-g.count, -g.last_at.timestamp(), g.key))


def _group(questions: list[OpenQuestion]) -> QuestionGroup:
    """One group; its wording is the most asked (the oldest of equally asked ones)."""
    questions.sort(key=lambda q: q.id)
    wordings: Counter[str] = Counter()
    first: dict[str, str] = {}
    for q in questions:
        wordings[phrasing_key(q.text)] += 1
        first.setdefault(phrasing_key(q.text), q.text)
    phrasings = tuple(first[k] for k, _ in wordings.most_common())  # ties keep first-seen order
    offered = Counter(s for q in questions for s in q.suggestions)
    return QuestionGroup(
        key=questions[0].id, text=phrasings[0], count=len(questions),
        last_at=max(q.at for q in questions), question_ids=tuple(q.id for q in questions),
        phrasings=phrasings, suggested=tuple(e for e, _ in offered.most_common()),
    )


def find_group(groups: Sequence[QuestionGroup], question_id: int) -> QuestionGroup | None:
    """The group holding this question (a group's key is its oldest question's id)."""
    return next((g for g in groups if question_id in g.question_ids), None)
