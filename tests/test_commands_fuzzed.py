"""Command parsing on any text: a command, a question, or a clear refusal; nothing else."""

from __future__ import annotations

from hostile_input import messages
from hypothesis import given
from hypothesis import strategies as st

from bot import commands
from bot.errors import UserError
from bot.faq import commands as faq_commands
from bot.inbox import commands as inbox_commands

# A refusal quotes at most a short piece of what was typed.
MAX_REFUSAL = 600
HEADS = ("faq", "/faq", "inbox", "/inbox", "link", "/link", "contract", "/contract", "help",
         "/help", "notifications", "forget", "moderator", "/whoami", "/unknown")
WORDS = ("add", "edit", "alias", "unalias", "remove", "restore", "revert", "search", "history",
         "diff", "list", "show", "attach", "create", "dismiss", "accept", "reject", "status",
         "--title", "--answer", "--answer=-", "--alternate", "--tag", "--kind", "--reason",
         "--base", "--limit", "12", "-1", "0", "refund-request", "on", "off", "me")


# One long word: argparse quotes whole words in its complaints.
LONG = st.text(st.characters(codec="utf-8"), min_size=1000, max_size=5000)


@given(text=st.one_of(messages(WORDS), st.tuples(messages(WORDS), LONG).map(" ".join),
                      st.tuples(st.sampled_from(HEADS), messages(WORDS)).map(" ".join)))
def test_any_message_parses_as_a_command_a_question_or_a_short_clear_refusal(text: str) -> None:
    try:
        command = commands.parse(text)
    except UserError as refusal:
        assert 0 < len(refusal.message) <= MAX_REFUSAL
        return
    assert command is None or command.name in {
        "help", "moderator", "faq list", "faq show", "faq moderation", "inbox", "link",
        "unlink", "whoami", "contracts", "contract status", "notifications", "forget me"}


@given(words=st.one_of(messages(WORDS), st.tuples(messages(WORDS), LONG).map(" ".join)),
       body=st.one_of(st.none(), messages()))
def test_any_moderator_command_parses_or_is_refused_with_its_usage(
    words: str, body: str | None,
) -> None:
    for parse, head in ((faq_commands.parse_chat, "faq "), (inbox_commands.parse_chat, "inbox ")):
        try:
            parse(head + words, body)
        except UserError as refusal:
            assert 0 < len(refusal.message) <= MAX_REFUSAL, refusal.message
