"""The answer / suggest / decline policy."""

from __future__ import annotations

from bot.faq.policy import Outcome, Scored, Thresholds, decide

T = Thresholds(answer=0.5, answer_margin=0.1, suggest=0.3)


def test_a_confident_clear_winner_is_answered() -> None:
    d = decide([Scored("a", 0.8), Scored("b", 0.5)], T)
    assert (d.outcome, d.entry_id) == (Outcome.ANSWER, "a")


def test_a_close_runner_up_turns_an_answer_into_choices() -> None:
    d = decide([Scored("a", 0.8), Scored("b", 0.75), Scored("c", 0.2)], T)
    assert d.outcome is Outcome.SUGGEST
    assert d.suggestions == ("a", "b")


def test_no_more_than_three_choices_are_offered() -> None:
    ranking = [Scored(x, 0.45) for x in "abcde"]
    assert decide(ranking, T).suggestions == ("a", "b", "c")


def test_weak_matches_are_declined() -> None:
    d = decide([Scored("a", 0.25), Scored("b", 0.1)], T)
    assert (d.outcome, d.suggestions) == (Outcome.DECLINE, ())


def test_an_out_of_scope_subject_on_top_declines_even_when_confident() -> None:
    d = decide([Scored("out-of-scope:connects", 0.9, in_scope=False), Scored("a", 0.5)], T)
    assert d.outcome is Outcome.DECLINE


def test_out_of_scope_subjects_are_never_offered_as_choices() -> None:
    ranking = [Scored("a", 0.45), Scored("out-of-scope:fees", 0.44, in_scope=False),
               Scored("b", 0.4)]
    assert decide(ranking, T).suggestions == ("a", "b")


def test_an_exact_wording_is_answered_even_with_a_close_runner_up() -> None:
    d = decide([Scored("a", 1.0, exact=True), Scored("b", 0.98)], T)
    assert (d.outcome, d.entry_id) == (Outcome.ANSWER, "a")


def test_an_exact_wording_of_an_out_of_scope_subject_is_declined() -> None:
    d = decide([Scored("out-of-scope:fees", 1.0, in_scope=False, exact=True)], T)
    assert d.outcome is Outcome.DECLINE


def test_a_long_post_needs_a_clearer_lead_to_be_answered() -> None:
    ranking = [Scored("a", 0.8), Scored("b", 0.71)]
    thresholds = Thresholds(answer=0.5, answer_margin=0.08, long_post_margin=0.1)
    assert decide(ranking, thresholds, words=20).outcome is Outcome.ANSWER
    long = decide(ranking, thresholds, words=21)
    assert (long.outcome, long.suggestions) == (Outcome.SUGGEST, ("a", "b"))


def test_nothing_to_rank_is_declined() -> None:
    assert decide([], T).outcome is Outcome.DECLINE


def test_an_uncorroborated_out_of_scope_subject_on_top_gives_the_in_scope_choices() -> None:
    ranking = [Scored("out-of-scope:support", 0.3, in_scope=False, corroborated=False),
               Scored("a", 0.28), Scored("b", 0.1)]
    d = decide(ranking, Thresholds(answer=0.2, answer_margin=0.0, suggest=0.08))
    assert (d.outcome, d.entry_id, d.suggestions) == (Outcome.SUGGEST, None, ("a", "b"))


def test_an_uncorroborated_out_of_scope_subject_is_declined_when_nothing_else_is_near() -> None:
    ranking = [Scored("out-of-scope:support", 0.6, in_scope=False, corroborated=False),
               Scored("a", 0.1)]
    assert decide(ranking, T).outcome is Outcome.DECLINE
