"""Logging what members ask: each question's outcome, "did you mean" picks and ratings.

No identity is ever logged. A question's text is kept only when the moderators can learn from
it (it was declined or only suggested) and it is neither personal nor possibly a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.faq.entries import PERSONAL_TOPICS
from bot.faq.knowledge_pack import MAX_PHRASE
from bot.faq.policy import Decision, Outcome
from bot.redaction import holds_code, scrubbed
from bot.text import MATCH_CHAR_LIMIT

# The first word of a message that may carry a link code even when it parsed as a question.
SECRET_HEADS = frozenset({"link"})


@dataclass(frozen=True)
class AskedQuestion:
    """One question's outcome as logged: where it was asked, never who asked it."""

    platform: str
    channel_private: bool
    outcome: Outcome
    entry_id: str | None
    suggestions: tuple[str, ...]
    text: str | None  # kept only for the inbox (see `shareable_text`)


class QuestionLog(Protocol):
    """The port the assistant logs through; `bot.storage` implements it."""

    def record_question(self, question: AskedQuestion) -> None:
        """Log one question's outcome; a question with text opens an inbox item."""
        ...

    def record_pick(self, text: str, entry_id: str) -> None:
        """Log a "did you mean" pick as a candidate phrasing of the picked entry."""
        ...

    def record_rating(self, entry_id: str, helpful: bool, platform: str) -> None:
        """Log a member's helpful / not helpful rating of an answer."""
        ...


def shareable_text(text: str) -> str | None:
    """The question's words as moderators may read them, or None when there is nothing to keep.

    `link ...` and anything that could hold a link code, in any grouping, are never kept,
    even when they were not commands; what is clearly personal (emails, phone and card
    numbers, IBANs, links with tokens) is blanked out, and long posts are kept to the part
    the matcher read.
    """
    head = text.split(maxsplit=1)[0].lstrip("/").casefold() if text.strip() else ""
    if not head or head in SECRET_HEADS or holds_code(text):
        return None
    if not any(ch.isalpha() for ch in text):  # a stray number or sign: nothing to learn
        return None
    return scrubbed(text)[:MATCH_CHAR_LIMIT]


def _personal(decision: Decision) -> bool:
    """Whether the decision concerned a personal topic: the words may be about own contracts."""
    return decision.entry_id in PERSONAL_TOPICS or bool(PERSONAL_TOPICS & set(decision.suggestions))


def candidate_text(question: str, decision: Decision) -> str | None:
    """A question a member followed with a pick, as a candidate phrasing; None if unfit.

    `decision` is the one the question got: with a personal topic among the choices, the
    question is not kept even when the member picked another.
    """
    text = None if _personal(decision) else shareable_text(question)
    return text if text is not None and len(text) <= MAX_PHRASE else None


def asked(platform: str, channel_private: bool, text: str, decision: Decision) -> AskedQuestion:
    """What is logged of a question and the decision on it.

    Answered questions count without their text; so do questions whose choices include a
    personal topic.
    """
    kept = (None if decision.outcome is Outcome.ANSWER or _personal(decision)
            else shareable_text(text))
    return AskedQuestion(platform, channel_private, decision.outcome, decision.entry_id,
                         decision.suggestions, kept)
