"""The matcher on a small made-up pack: synonyms, typos, stories, unknown words."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from bot.faq.matching import IndexEntry, Matcher, index_entries
from bot.faq.vocabulary import Vocabulary, vocabulary_from_mapping
from bot.text import BREAK, sentences, token_stream, tokens, words

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


def test_a_word_with_a_letter_missing_or_extra_reads_as_the_known_word(matcher: Matcher) -> None:
    expected = matcher.rank("is escrow safe for me")
    assert matcher.rank("is escrw safe for me") == expected
    assert matcher.rank("is esscrow safe for me") == expected


def test_a_message_worded_as_a_phrasing_ranks_its_entry_first_as_exact(matcher: Matcher) -> None:
    best, *others = matcher.rank("  Who holds the ESCROW money?! ")
    assert (best.entry_id, best.score, best.exact) == ("escrow", 1.0, True)
    assert others and not any(s.exact or s.entry_id == "escrow" for s in others)
    assert not matcher.rank("who holds the escrow money now")[0].exact


def test_a_wording_two_entries_share_is_not_exact_for_either() -> None:
    shared = [*ENTRIES, IndexEntry("refund-2", ("how do refunds work",))]
    assert not any(s.exact for s in Matcher(index_entries(shared), VOCABULARY).rank(
        "how do refunds work"))


def test_a_phrasing_without_content_words_changes_nothing() -> None:
    plain = Matcher(ENTRIES, VOCABULARY)
    vague = [IndexEntry(e.entry_id, ("is it?", *e.phrasings), e.tags, e.answer, e.in_scope)
             for e in ENTRIES]
    with_vague_titles = Matcher(vague, VOCABULARY)
    for question in ("how do refunds work", "what are connects", "profile photo rules"):
        assert with_vague_titles.rank(question) == plain.rank(question)


def test_an_entry_without_content_words_is_still_ranked() -> None:
    matcher = Matcher(index_entries([*ENTRIES, IndexEntry("empty", ("is it", "the"))]), VOCABULARY)
    ranking = matcher.rank("how do refunds work")
    assert ranking[0].entry_id == "refund"
    assert ranking[-1].entry_id == "empty"


FOLDING = vocabulary_from_mapping({
    "synonyms": {
        "refund": ["money back", "give the money back", "give back"],
        "escrow": ["project funds", "funds in escrow"],
        "hold": ["on hold"],
        "client": ["buyer"],
        "available": ["cleared", "cleared funds"],
    },
    "related": {"escrow": ["deposit"], "hold": ["review"]},
})


def random_texts(seed: int) -> list[list[str]]:
    """Stem sequences made of synonym phrases and single stems, overlapping phrases too."""
    rng = random.Random(seed)
    pieces = [*FOLDING.synonyms, *((s,) for s in sorted(FOLDING.words() | {"x", "y"}))]
    return [[t for _ in range(rng.randint(0, 5)) for t in rng.choice(pieces)] for _ in range(400)]


def test_folding_many_texts_at_once_agrees_with_folding_each() -> None:
    # The index folds a whole pack with numpy; a message is folded in Python.
    texts = random_texts(1)
    names = ["|", *sorted(FOLDING.words() | {"x", "y"})]
    ids = {name: i for i, name in enumerate(names)}
    stream = np.array([ids[t] for text in texts for t in [*text, "|"]], dtype=np.int64)
    folded = [names[i] for i in FOLDING.fold_ids(stream, ids)]
    assert folded == [t for text in texts for t in [*FOLDING.fold(text), "|"]]


def test_weighing_many_texts_at_once_agrees_with_weighing_each() -> None:
    contents = [list(dict.fromkeys(FOLDING.fold(text))) for text in random_texts(2)]
    names = sorted(FOLDING.words() | {"x", "y"})
    ids = {name: i for i, name in enumerate(names)}
    docs = np.array([d for d, content in enumerate(contents) for _ in content], dtype=np.int64)
    stems = np.array([ids[t] for content in contents for t in content], dtype=np.int64)
    weighed: dict[int, dict[str, float]] = {}
    for d, t, w in zip(*(a.tolist() for a in FOLDING.weigh_ids(docs, stems, ids)), strict=True):
        weighed.setdefault(d, {})[names[t]] = w
    assert weighed == {d: FOLDING.weigh(c) for d, c in enumerate(contents) if c}


def test_a_token_stream_is_each_texts_tokens_then_a_break() -> None:
    texts = ["Can't FIND my client's money", "", "two\x00texts? 42", "naïve café", "x"]
    assert token_stream(texts) == [t for text in texts for t in [*tokens(text), BREAK]]


def test_texts_sharing_no_token_have_plain_similarity_as_token_set_similarity() -> None:
    # The fuzzy stage scores such pairs with rapidfuzz's plain ratio, many times cheaper.
    rng = random.Random(3)
    pool = ["escrow", "fund", "refund", "client", "mileston", "hold", "a", "ab", "abc", "b"]
    pairs = [rng.sample(pool, rng.randint(2, 8)) for _ in range(300)]
    left = [" ".join(sorted(p[: len(p) // 2])) for p in pairs]
    right = [" ".join(sorted(p[len(p) // 2 :])) for p in pairs]
    plain = process.cpdist(left, right, scorer=fuzz.ratio, dtype=np.float32)
    token_set = process.cpdist(left, right, scorer=fuzz.token_set_ratio, dtype=np.float32)
    assert plain.tolist() == token_set.tolist()


def test_a_messages_words_are_its_sentences_words_end_to_end() -> None:
    # The matcher reads each sentence once, and the whole message from its sentences.
    rng = random.Random(4)
    pieces = ["Hello.", " ", "\n", " - ", "; ", "?", "can't", "it's", "x-y", "a -b", "42", "é", "q"]
    for _ in range(2000):
        message = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        whole, parts = sentences(message)
        assert words(whole) == [w for part in parts for w in words(part)]
