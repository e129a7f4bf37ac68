"""Moderators' `inbox ...` commands parse the same in chat as on the command line."""

from __future__ import annotations

import argparse

import pytest

from bot.commands import INBOX_WORDS, Command, parse
from bot.errors import BadUsage
from bot.faq.knowledge_pack import KnowledgePack
from bot.inbox.commands import DEFAULT_LIMIT, InboxRequest, define, parse_chat
from bot.messages import Incoming
from tests.fakes import fake_assistant


def test_every_inbox_subcommand_is_a_command_in_chat_and_defined_for_both() -> None:
    for command_line in (True, False):
        parser = argparse.ArgumentParser()
        define(parser, command_line=command_line)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        assert set(sub.choices) == INBOX_WORDS
    for word in INBOX_WORDS:
        assert parse(f"inbox {word} 1") == Command("inbox", f"{word} 1")
    assert parse("inbox") == Command("inbox")
    assert parse("inbox --limit 3") == Command("inbox", "--limit 3")
    assert parse("inbox full, what now?") is None


def test_chat_requests_name_the_group_or_pick_and_the_entry() -> None:
    assert parse_chat("inbox") == InboxRequest("list", limit=DEFAULT_LIMIT)
    assert parse_chat("/inbox --limit 3") == InboxRequest("list", limit=3)
    assert parse_chat("inbox attach #12 Refund-Request") == InboxRequest(
        "attach", 12, "refund-request")
    assert parse_chat('inbox create 7 late-fees --title "Late fees" --answer "None.\n\n- ok" '
                      '--tag fees --tag money --reason "asked a lot"') == InboxRequest(
        "create", 7, "late-fees", "Late fees", "None.\n\n- ok", "faq", ("fees", "money"),
        "asked a lot")
    assert parse_chat("inbox reject 3").number == 3


@pytest.mark.parametrize(("text", "says"), [
    ("inbox attach 12", "the following arguments are required: ID"),
    ("inbox dismiss twelve", "'twelve' is not a number from the inbox listing"),
    ("inbox --limit 0", "--limit must be a whole number from 1, not '0'"),
    ("inbox attach " + "9" * 5000 + " escrow", "'99999999999999999999' is not a number from"),
    ("inbox --limit " + "9" * 5000, "--limit must be a whole number from 1, not '9999"),
    ("inbox create 1 x --title T", "the following arguments are required: --answer"),
    ("inbox accept 1 --as ana", "unrecognized arguments: --as ana"),
])
def test_a_mistyped_inbox_command_says_what_is_wrong_and_how_to_type_it(
    text: str, says: str,
) -> None:
    with pytest.raises(BadUsage) as raised:
        parse_chat(text)
    assert says.lower() in raised.value.message.lower()
    assert "Type it as `inbox" in raised.value.message


def test_help_lists_the_inbox_commands_to_moderators_only(pack: KnowledgePack) -> None:
    assistant = fake_assistant(pack)
    usages = [[c["usage"] for c in assistant.handle(Incoming("help", "slack:T1/U1",
                                                             moderator=m)).context["commands"]]
              for m in (False, True)]
    assert not any(u.startswith("inbox") for u in usages[0])
    assert "inbox attach GROUP ID" in usages[1]


def test_numbers_left_over_are_named_with_the_subcommands_own_usage() -> None:
    with pytest.raises(BadUsage, match=r"Unrecognized arguments: 2 3\. Type it as "
                                       r"`inbox dismiss \[--reason REASON\] GROUP`"):
        parse_chat("inbox dismiss 1 2 3")
