"""At the console, `+` or `-` right after an answer rates it; the rating is kept for stats."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from adapters.console import BODY_HINT, CANCELLED, RATE_HINT, chat, console_identity
from bot.app import App
from bot.errors import NotFound
from bot.inbox.stats import OutcomeTotals

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def test_plus_and_minus_right_after_an_answer_rate_it_and_thank_the_member(app: App) -> None:
    script = iter([
        "+",                                   # nothing to rate yet
        "who sets the milestones?", "+",
        "+",                                   # that answer is rated already
        "what is escrow?", "-",
        "client ended the contract, what about the milestones", "1", "-",
        "/quit",
    ])
    out: list[str] = []
    chat(app, "console:ana", None, read=lambda _prompt: next(script), write=out.append)

    assert "+ or - after an answer" in out[0]
    replies = [line for line in out[1:] if line]
    assert replies[0] == RATE_HINT and replies[3] == RATE_HINT
    assert replies[2] == "Thanks! Glad that helped."
    assert replies[5].startswith("Thanks for telling me.")
    counts, totals = app.questions.activity(LONG_AGO)
    rated = {c.entry_id: (c.helpful, c.ratings) for c in counts if c.ratings}
    assert rated == {"milestones-who-sets": (1, 1), "escrow-basics": (0, 1),
                     "contract-ended-funded": (0, 1)}
    assert totals == OutcomeTotals(answered=2, suggested=1)  # ratings are not questions


def test_a_moderator_at_the_console_types_a_multi_line_answer_after_answer_dash(
    app: App,
) -> None:
    app.moderators.add("console:mod", "test", LONG_AGO)
    script = iter([
        'faq add late-fees --title "Late fees" --answer - --alternate "is there a late fee" '
        '--reason "asked twice"',
        "There are **no** late fees.",
        "",
        "- Ask the client {{ 7*7 }} first.",
        ".",
        "is there a late fee?",
        "/quit",
    ])
    out: list[str] = []
    chat(app, "console:mod", None, read=lambda _prompt: next(script), write=out.append)

    assert BODY_HINT in out
    assert "Added `late-fees`: it is now version 1." in "\n".join(out)
    assert app.editor.current("late-fees").entry.answer == (
        "There are **no** late fees.\n\n- Ask the client {{ 7*7 }} first.")
    assert "- Ask the client {{ 7*7 }} first." in out[-2]


ADD_LATE_FEES = ('faq add late-fees --title "Late fees" --answer - --alternate "is there a late '
                 'fee" --reason "asked twice"')
MILESTONES_ANSWER = "The client sets the milestones"


def typed(*lines: str) -> Callable[[str], str]:
    """What the member types, line by line, then the end of input (Ctrl-D)."""
    remaining = iter(lines)

    def read(_prompt: str) -> str:
        try:
            return next(remaining)
        except StopIteration:
            raise EOFError from None

    return read


def chat_with(app: App, user: str, *lines: str) -> str:
    """The whole console session's output, for the lines typed."""
    out: list[str] = []
    chat(app, user, None, read=typed(*lines), write=out.append)
    return "\n".join(out)


def test_a_members_question_holding_answer_dash_is_answered_and_the_next_line_is_a_question(
    app: App,
) -> None:
    out = chat_with(app, "console:bo", "what does --answer - mean for my escrow?",
                    "who sets the milestones?")
    assert BODY_HINT not in out
    assert MILESTONES_ANSWER in out


def test_a_non_moderators_faq_add_with_answer_dash_is_refused_without_asking_for_lines(
    app: App,
) -> None:
    out = chat_with(app, "console:bo", ADD_LATE_FEES, "who sets the milestones?")
    assert BODY_HINT not in out
    assert "Only moderators can do that" in out
    assert MILESTONES_ANSWER in out
    with pytest.raises(NotFound):
        app.editor.current("late-fees")


def test_a_moderators_command_missing_an_option_is_refused_before_the_answer_is_typed(
    app: App,
) -> None:
    app.moderators.add("console:mod", "test", LONG_AGO)
    out = chat_with(app, "console:mod", ADD_LATE_FEES.replace(' --reason "asked twice"', ""),
                    "who sets the milestones?")
    assert BODY_HINT not in out
    assert "required: --reason" in out
    assert MILESTONES_ANSWER in out


@pytest.mark.parametrize("quit_word", ["/quit", "exit", "QUIT"])
def test_a_quit_word_typed_in_an_answer_cancels_it_and_the_chat_goes_on(
    app: App, quit_word: str,
) -> None:
    app.moderators.add("console:mod", "test", LONG_AGO)
    out = chat_with(app, "console:mod", ADD_LATE_FEES, "There are no late fees.", quit_word,
                    "who sets the milestones?")
    assert CANCELLED in out
    assert MILESTONES_ANSWER in out.split(CANCELLED)[1]
    with pytest.raises(NotFound):
        app.editor.current("late-fees")


def test_the_end_of_input_in_an_answer_cancels_it_and_ends_the_chat(app: App) -> None:
    app.moderators.add("console:mod", "test", LONG_AGO)
    out = chat_with(app, "console:mod", ADD_LATE_FEES, "There are no late fees.")
    assert out.endswith(CANCELLED)
    with pytest.raises(NotFound):
        app.editor.current("late-fees")


@pytest.mark.parametrize("given", [None, "", "   "])
def test_a_blank_user_name_falls_back_to_the_login_name(given: str | None) -> None:
    assert console_identity(given) == f"console:{getpass.getuser()}"
    assert console_identity(" ana ") == "console:ana"
