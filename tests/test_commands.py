"""What counts as a command and what is a question."""

from __future__ import annotations

import pytest

from bot.commands import Command, parse
from bot.errors import UnknownCommand


@pytest.mark.parametrize("text", ["help", "/help", "HELP", "commands"])
def test_help_is_a_command_with_or_without_a_slash(text: str) -> None:
    assert parse(text) == Command("help")


def test_moderator_takes_the_rest_of_the_line_as_the_question() -> None:
    assert parse("moderator my client vanished") == Command("moderator", "my client vanished")


@pytest.mark.parametrize("text", ["help me with a refund", "faq about refunds?",
                                  "who sets the milestones?"])
def test_a_sentence_that_starts_like_a_command_is_still_a_question(text: str) -> None:
    assert parse(text) is None


def test_faq_show_names_the_entry() -> None:
    assert parse("faq show refund-request") == Command("faq show", "refund-request")


def test_an_unknown_slash_command_is_refused_with_a_pointer_to_help() -> None:
    with pytest.raises(UnknownCommand, match="help"):
        parse("/frobnicate now")


@pytest.mark.parametrize("text", ["link XZTEH-CGR96", "link xzteh cgr96", "/link XZTEH CGR96"])
def test_a_link_code_is_a_command_however_its_groups_are_joined(text: str) -> None:
    assert parse(text) == Command("link", text.split(maxsplit=1)[1])


def test_link_followed_by_ordinary_words_is_a_question() -> None:
    assert parse("link my account please") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("handoffs", Command("handoffs", "")),
    ("/handoffs", Command("handoffs", "")),
    ("handoff reply 3 Open a dispute.", Command("handoffs", "reply 3 Open a dispute.")),
    ("handoffs close 3 --reason dup", Command("handoffs", "close 3 --reason dup")),
    ("handoff to a human please", None),
    ("handoffs take how long?", None),
])
def test_moderators_hand_off_commands_parse_and_other_wordings_stay_questions(
    text: str, expected: Command | None,
) -> None:
    assert parse(text) == expected
