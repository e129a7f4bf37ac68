"""Grouping the inbox's open questions: paraphrases together, others apart, most asked first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.inbox.grouping import MAX_REDUCED, OpenQuestion, group_questions, questions_like, reduction

START = datetime(2026, 11, 1, tzinfo=UTC)


def questions(*texts: str) -> list[OpenQuestion]:
    """Open questions with ids 1, 2, ... asked an hour apart, in this order."""
    return [OpenQuestion(i, START + timedelta(hours=i), text)
            for i, text in enumerate(texts, 1)]


def grouped_texts(texts: list[str]) -> list[set[str]]:
    return [set(g.phrasings) for g in group_questions(questions(*texts))]


def test_paraphrases_typos_and_reorderings_group_together() -> None:
    assert grouped_texts([
        "How do I withdraw money to PayPal?",
        "how to withdraw to paypal",
        "withdraw money to paypal, how??",
        "how can i withdrwa money to my paypal",
    ]) == [{"How do I withdraw money to PayPal?", "how to withdraw to paypal",
            "withdraw money to paypal, how??", "how can i withdrwa money to my paypal"}]


def test_different_questions_stay_apart_even_when_they_share_words() -> None:
    texts = [
        "How do I withdraw money to PayPal?",
        "paypal",
        "how do I withdraw money to my bank",
        "my account got suspended why",
        "my milestone got rejected why",
        "how do I change my profile photo",
        "how do I change my hourly rate",
        "tell me a joke",
    ]
    assert sorted(len(g) for g in grouped_texts(texts)) == [1] * len(texts)


def test_groups_count_their_questions_and_the_most_asked_come_first() -> None:
    groups = group_questions(questions(
        "tell me a joke",                      # 1
        "what are connects and how much do they cost",  # 2
        "how much do connects cost?",          # 3
        "can I pay a freelancer in bitcoin",   # 4
        "can i pay the freelancer with bitcoin?",  # 5
        "connects cost",                       # 6
    ))
    assert [(g.key, g.count) for g in groups] == [(2, 3), (4, 2), (1, 1)]
    assert groups[0].question_ids == (2, 3, 6)
    assert groups[0].last_at == START + timedelta(hours=6)


def test_equally_asked_groups_put_the_most_recently_asked_first() -> None:
    groups = group_questions(questions("tell me a joke", "is there a dark mode"))
    assert [g.text for g in groups] == ["is there a dark mode", "tell me a joke"]
    groups = group_questions(questions("is there a dark mode", "tell me a joke",
                                       "tell me a joke!", "is there a dark mode?"))
    assert [g.text for g in groups] == ["is there a dark mode", "tell me a joke"]


def test_a_group_is_worded_as_asked_most_often_and_lists_each_wording_once() -> None:
    group, = group_questions(questions(
        "how much do connects cost?", "What are connects and how much do they cost",
        "what are connects and how much do they cost?", "connects cost"))
    assert group.text == "What are connects and how much do they cost"
    assert group.phrasings == ("What are connects and how much do they cost",
                               "how much do connects cost?", "connects cost")


def test_a_group_is_named_by_the_oldest_question_asked_as_it_is_worded() -> None:
    groups = group_questions(questions(
        "how to withdraw to paypal", "tell me a joke", "How do I withdraw money to PayPal?",
        "how do i withdraw money to paypal"))
    assert [(g.key, g.text, g.count) for g in groups] == [
        (3, "How do I withdraw money to PayPal?", 3), (2, "tell me a joke", 1)]


def test_acting_on_a_number_takes_the_questions_like_that_one_whatever_arrived_since() -> None:
    listed = questions("zorgcoin wallet payout delay", "zorgcoin wallet payout delay",
                       "zorgcoin wallet payout delay fee", "tell me a joke")
    shown, _ = group_questions(listed)
    arrived = [OpenQuestion(i, START + timedelta(days=1), "wallet payout delay fee refund")
               for i in range(5, 9)]
    acted = questions_like(listed[shown.key - 1], [*listed, *arrived])
    assert (acted.key, acted.text, acted.phrasings[0]) == (1, shown.text, shown.text)
    assert set(shown.question_ids) <= set(acted.question_ids)
    assert "tell me a joke" not in acted.phrasings


def test_a_long_post_is_compared_by_its_first_content_words_only() -> None:
    post = " ".join(f"word{i}x" for i in range(200))
    assert len(reduction(post).split()) == MAX_REDUCED
    group, = group_questions(questions(post, post + " and more"))
    assert group.count == 2


def test_grouping_is_deterministic_whatever_the_order_questions_arrive_in() -> None:
    qs = questions("connects cost", "tell me a joke", "how much do connects cost",
                   "joke please", "can i pay in bitcoin", "pay in bitcoin?")
    assert group_questions(qs) == group_questions(list(reversed(qs)))


def test_questions_of_only_small_words_are_grouped_by_their_words() -> None:
    assert reduction("How do I?") == "how do i?"
    assert [g.count for g in group_questions(questions("How do I?", "how do  I?", "???"))] \
        == [2, 1]
    assert group_questions([]) == []
