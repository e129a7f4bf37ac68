"""The unanswered-questions inbox: similar questions grouped, and the store port behind it.

Grouping is a greedy leader clustering. Questions are reduced to their sorted content stems
(question words and fillers dropped); identical reductions are counted once, and the most
asked reduction not yet grouped leads a new group that takes every ungrouped one at least
`SIMILARITY` alike. A group is named by the number of the question it is worded as (the
oldest asked that way). Acting on that number acts on the open questions like that one
(`questions_like`), whatever questions arrived since the listing: the same words, new
questions like them, never a group that re-formed around other words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz, process

from bot.audit import AuditRecord
from bot.faq.knowledge_pack import MAX_PHRASE
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
# The listing groups the newest this many open questions; acting on a group reads this many.
INBOX_WINDOW = 5000
ACTION_WINDOW = 100_000
# A question is compared by at most this many distinct content stems (its first ones): long
# posts would otherwise make every comparison slow.
MAX_REDUCED = 40
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

    def close_questions(self, ids: Sequence[int], status: str,
                        action: Callable[[int], AuditRecord]) -> int:
        """Mark the still-open ones of these questions `attached` or `dismissed`, audited as
        `action` of how many were still open; returns that number.
        """
        ...

    def open_candidates(self) -> list[Candidate]:
        """Open picks, identical ones counted once, most picked first."""
        ...

    def close_candidate(self, candidate: Candidate, status: str,
                        action: Callable[[int], AuditRecord],
                        question_ids: Sequence[int] = ()) -> int:
        """Mark the candidate (and identical open picks) `accepted` or `rejected`, audited as
        `action` of how many picks were still open, and the still-open ones of
        `question_ids` attached. Returns how many picks were still open.
        """
        ...


def reduction(text: str) -> str:
    """A question as compared: its sorted distinct content stems (the first `MAX_REDUCED`), or
    its folded text if none."""
    kept = sorted(list(dict.fromkeys(s for s in stems(text) if s not in _FILLER))[:MAX_REDUCED])
    return " ".join(kept) if kept else " ".join(clean(text).casefold().split())[:MAX_PHRASE]


def _alike(key: str, keys: list[str], token_sort: np.ndarray) -> np.ndarray:
    """Indexes into `keys` of those at least `SIMILARITY` alike `key`, given their token-sort
    ratios to it (only those at `_MIN_SORT` or more are compared further)."""
    near = np.flatnonzero(token_sort >= _MIN_SORT)
    if not near.size:
        return near
    token_set = process.cdist([key], [keys[j] for j in near], scorer=fuzz.token_set_ratio,
                              processor=None)[0]
    found: np.ndarray = near[(token_set + token_sort[near]) / 2 >= SIMILARITY]
    return found


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
        ungrouped = np.where(leader_of < 0, token_sort[i], 0)
        leader_of[_alike(keys[i], keys, ungrouped)] = i
    return leader_of


def group_questions(questions: Sequence[OpenQuestion]) -> list[QuestionGroup]:
    """Similar questions together; most asked groups first, then most recently asked."""
    by_key = _by_reduction(questions)
    keys = sorted(by_key, key=lambda k: (-len(by_key[k]), by_key[k][0].id))
    if not keys:
        return []
    leader_of = _leaders(keys)
    groups = [_group([q for j in np.flatnonzero(leader_of == i) for q in by_key[keys[j]]])
              for i in np.unique(leader_of)]
    return sorted(groups, key=lambda g: (-g.count, -g.last_at.timestamp(), g.key))


def questions_like(question: OpenQuestion, questions: Sequence[OpenQuestion]) -> QuestionGroup:
    """The open questions like `question` (itself among them) as a group named by it: what a
    moderator acting on its number acts on."""
    by_key = _by_reduction([question, *(q for q in questions if q.id != question.id)])
    keys = list(by_key)
    key = reduction(question.text)
    token_sort = process.cdist([key], keys, scorer=fuzz.ratio, processor=None,
                               dtype=np.uint8, score_cutoff=_MIN_SORT)[0]
    alike = {keys[j] for j in _alike(key, keys, token_sort)} | {key}
    return _group([q for k in keys if k in alike for q in by_key[k]], named_by=question)


def _by_reduction(questions: Sequence[OpenQuestion]) -> dict[str, list[OpenQuestion]]:
    by_key: dict[str, list[OpenQuestion]] = {}
    for q in sorted(questions, key=lambda q: q.id):
        by_key.setdefault(reduction(q.text), []).append(q)
    return by_key


def _group(questions: list[OpenQuestion], named_by: OpenQuestion | None = None) -> QuestionGroup:
    """One group, worded as `named_by` or else as most asked (the oldest of equally asked
    wordings), and named by the oldest question worded that way."""
    questions.sort(key=lambda q: q.id)
    wordings: Counter[str] = Counter()
    first: dict[str, OpenQuestion] = {}
    for q in questions:
        wordings[phrasing_key(q.text)] += 1
        first.setdefault(phrasing_key(q.text), q)
    order = [k for k, _ in wordings.most_common()]  # ties keep first-seen order
    if named_by is not None:
        order.remove(phrasing_key(named_by.text))
        order.insert(0, phrasing_key(named_by.text))
    name = named_by or first[order[0]]
    offered = Counter(s for q in questions for s in q.suggestions)
    return QuestionGroup(
        key=name.id, text=name.text, count=len(questions),
        last_at=max(q.at for q in questions), question_ids=tuple(q.id for q in questions),
        phrasings=tuple(first[k].text for k in order),
        suggested=tuple(e for e, _ in offered.most_common()),
    )
