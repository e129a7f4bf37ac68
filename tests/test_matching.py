"""The matcher on a small made-up pack: synonyms, typos, stories, unknown words."""

from __future__ import annotations

import pytest

from bot.matching import IndexEntry, Matcher, index_entries
from bot.vocabulary import Vocabulary, vocabulary_from_mapping

ENTRIES = index_entries([
    IndexEntry("escrow", ("what is escrow", "who holds the escrow money", "is escrow safe")),
    IndexEntry("refund", ("client asked for a refund", "how do refunds work",
                          "do I have to give a refund")),
    IndexEntry("photo", ("profile photo rules", "can I use a logo as my photo")),
    IndexEntry("oos:connects", ("what are connects", "buy connects"), in_scope=False),
])
VOCABULARY = vocabulary_from_mapping({
    "synonyms": {"escrow": ["project funds"], "refund": ["money back"], "client": ["buyer"]},
    "related": {"escrow": ["deposit"]},
})


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(ENTRIES, VOCABULARY)


def top(matcher: Matcher, text: str) -> str:
    return matcher.rank(text)[0].entry_id


def test_a_synonym_phrase_matches_its_term(matcher: Matcher) -> None:
    assert top(matcher, "the buyer wants the money back") == "refund"
    assert top(matcher, "where are the project funds kept") == "escrow"


def test_a_misspelt_word_is_read_as_the_word_the_pack_uses(matcher: Matcher) -> None:
    assert top(matcher, "is escorw safe") == "escrow"


def test_the_question_sentence_of_a_story_decides(matcher: Matcher) -> None:
    story = ("I have a nice profile and many clients. Last week was busy. "
             "Can I use a logo as my photo?")
    assert top(matcher, story) == "photo"


def test_scores_are_between_zero_and_one_and_best_first(matcher: Matcher) -> None:
    ranking = matcher.rank("what is escrow")
    scores = [s.score for s in ranking]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_words_the_pack_never_uses_lower_the_score(matcher: Matcher) -> None:
    plain = matcher.rank("what is escrow")[0].score
    diluted = matcher.rank("what is escrow in zorbian quantum gardening")[0].score
    assert diluted < plain


def test_out_of_scope_subjects_are_ranked_and_marked(matcher: Matcher) -> None:
    best = matcher.rank("how many connects do I need")[0]
    assert (best.entry_id, best.in_scope) == ("oos:connects", False)


def test_a_message_with_no_words_ranks_nothing(matcher: Matcher) -> None:
    assert matcher.rank("?!? ...") == []


def test_an_empty_pack_ranks_nothing() -> None:
    assert Matcher([], Vocabulary()).rank("what is escrow") == []
