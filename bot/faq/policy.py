"""The answer / suggest / decline policy: named thresholds over the matcher's ranking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """What the assistant does with a question."""

    ANSWER = "answer"
    SUGGEST = "suggest"
    DECLINE = "decline"


@dataclass(frozen=True)
class Thresholds:
    """Scores are in [0, 1]. Answering the wrong entry is the worst outcome, so `answer`
    needs both a high score and a clear lead (`answer_margin`) over the runner-up. A post of
    more than `long_post_words` words often touches several subjects: its lead must be
    `long_post_margin` (measured on forum-style posts; see the README, "Matching")."""

    answer: float = 0.35
    answer_margin: float = 0.08
    suggest: float = 0.20
    max_suggestions: int = 3
    long_post_words: int = 20
    long_post_margin: float = 0.10


# The fused matcher's scores (a share of the lexical score plus a share of the semantic
# stage's probability: the classifier's blended with the nearest phrasing's) and the semantic
# stage's alone (that probability) sit on other scales than the lexical matcher's: each has
# its own defaults, chosen on the evaluation sets (README).
FUSED_THRESHOLDS = Thresholds(answer=0.45, answer_margin=0.04, suggest=0.08,
                              long_post_margin=0.08)
SEMANTIC_THRESHOLDS = Thresholds(answer=0.45, answer_margin=0.30, suggest=0.08,
                                 long_post_margin=0.15)


@dataclass(frozen=True)
class Scored:
    """One candidate from the matcher."""

    entry_id: str
    score: float
    in_scope: bool = True
    exact: bool = False  # the message is worded as one of this entry's phrasings
    # False: an out-of-scope subject that only the semantic stage's classifier ranks this
    # high, with neither its words nor one of its phrasings near the message (see `decide`)
    corroborated: bool = True


@dataclass(frozen=True)
class Decision:
    """The outcome, the answered entry (for ANSWER), and the choices (for SUGGEST)."""

    outcome: Outcome
    entry_id: str | None
    score: float
    suggestions: tuple[str, ...] = ()


def decide(ranking: Sequence[Scored], thresholds: Thresholds, words: int = 0) -> Decision:
    """Turn a ranking (best first) of a message of `words` words into an outcome.

    A known out-of-scope subject ranked first declines outright, unless its lead is not
    `corroborated` (nothing but the semantic classifier puts it there): then the in-scope
    candidates are offered as choices, never answered. A message worded exactly
    as one of an entry's phrasings (which a moderator wrote or accepted) is answered with it;
    otherwise the best in-scope candidate is answered when it is confident and clearly
    ahead, and the candidates above `suggest` are offered as choices.
    """
    if not ranking:
        return Decision(Outcome.DECLINE, None, 0.0)
    top = ranking[0]
    in_scope = [c for c in ranking if c.in_scope]
    if not top.in_scope:
        if top.corroborated:
            return Decision(Outcome.DECLINE, None, top.score)
        return _offer(in_scope, thresholds, top.score)
    if top.exact:
        return Decision(Outcome.ANSWER, top.entry_id, top.score)
    runner_up = ranking[1].score if len(ranking) > 1 else 0.0
    margin = (thresholds.long_post_margin if words > thresholds.long_post_words
              else thresholds.answer_margin)
    if top.score >= thresholds.answer and top.score - runner_up >= margin:
        return Decision(Outcome.ANSWER, top.entry_id, top.score)
    return _offer(in_scope, thresholds, top.score)


def _offer(in_scope: Sequence[Scored], thresholds: Thresholds, score: float) -> Decision:
    """The best in-scope candidates above `suggest` as choices, or a decline if none is."""
    choices = tuple(
        c.entry_id for c in in_scope[: thresholds.max_suggestions] if c.score >= thresholds.suggest
    )
    if choices:
        return Decision(Outcome.SUGGEST, None, score, choices)
    return Decision(Outcome.DECLINE, None, score)
