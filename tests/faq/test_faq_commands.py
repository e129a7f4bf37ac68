"""Moderators' `faq ...` commands parse the same in chat as on the command line."""

from __future__ import annotations

import argparse

import pytest

from bot.commands import FAQ_MODERATOR_WORDS, Command, parse
from bot.errors import BadUsage
from bot.faq.commands import chat_words, define, parse_chat, reads_body, request_from_args
from bot.faq.editing import EntryChanges


def test_every_moderator_subcommand_is_a_command_in_chat_and_defined_for_both() -> None:
    for command_line in (True, False):
        sub = argparse.ArgumentParser().add_subparsers(dest="faq_command")
        define(sub, command_line=command_line)
        assert set(sub.choices) == FAQ_MODERATOR_WORDS
    for word in FAQ_MODERATOR_WORDS:
        assert parse(f"faq {word} x") == Command("faq moderation", f"{word} x")


def test_alias_takes_the_rest_of_the_line_apostrophes_and_all() -> None:
    request = parse_chat("faq alias refund-request can't get my money back, what's next?")
    assert (request.command, request.entry_id) == ("alias", "refund-request")
    assert request.phrase == "can't get my money back, what's next?"
    assert request.reason is None


def test_double_quotes_straight_or_curly_group_words_and_keep_line_breaks() -> None:
    request = parse_chat('/faq edit Refund-Request --title \u201cMoney back\u201d '
                         '--answer "First.\n\n- a point" --alternate "a b" --alternate c '
                         '--base 3 --reason "clearer title"')
    assert request.entry_id == "refund-request"
    assert request.changes == EntryChanges(title="Money back", answer="First.\n\n- a point",
                                           alternates=("a b", "c"))
    assert (request.base, request.reason) == (3, "clearer title")


def test_a_missing_option_is_answered_with_how_to_type_the_command() -> None:
    with pytest.raises(BadUsage, match=r"required: --reason\. Type it as `faq remove "):
        parse_chat("faq remove refund-request")
    with pytest.raises(BadUsage, match="a version is a whole number from 1, not 'two'"):
        parse_chat("faq revert refund-request two")
    with pytest.raises(BadUsage, match="not closed"):
        parse_chat('faq alias refund-request "money back')


def test_answer_dash_reads_the_text_sent_with_the_message_and_asks_for_quotes_without() -> None:
    with pytest.raises(BadUsage, match="put the answer in double quotes"):
        parse_chat('faq add late-fees --title T --answer - --reason new')
    request = parse_chat("faq add late-fees --title T --answer - --reason new", "- one\n- two")
    assert request.changes.answer == "- one\n- two"
    assert reads_body('faq edit x --answer - --reason "why"')
    assert reads_body("inbox create 3 x --title T --answer=-")
    assert not reads_body('faq edit x --answer "a - b" --reason -')
    assert not reads_body('faq edit x --answer "unclosed')
    sub = argparse.ArgumentParser().add_subparsers(dest="faq_command")
    define(sub, command_line=True)
    args = sub.choices["add"].parse_args(
        ["late-fees", "--title", "T", "--answer", "-", "--as", "ana", "--reason", "new"])
    args.faq_command = "add"
    request = request_from_args(args, read_stdin=lambda: "From **stdin**.\n")
    assert request.changes.answer == "From **stdin**.\n"
    assert request.changes.kind == "faq"


def test_the_command_line_requires_as_for_changes_but_not_for_reading() -> None:
    sub = argparse.ArgumentParser().add_subparsers(dest="faq_command")
    define(sub, command_line=True)
    assert "--as" in sub.choices["revert"].format_usage()
    assert "--as" not in sub.choices["history"].format_usage()


def test_diff_and_revert_name_their_versions() -> None:
    assert parse_chat("faq diff refund-request 1 3").versions == (1, 3)
    assert parse_chat("faq revert refund-request 2").versions == (2,)


def test_words_are_split_on_white_space_only() -> None:
    assert chat_words("a #b c\\d 'e") == ["a", "#b", "c\\d", "'e"]


def test_a_version_is_a_whole_number_from_one_and_the_subcommand_any_case() -> None:
    for bad in ("0", "-3", "99999999999999999999", "²"):
        with pytest.raises(BadUsage, match="a version is a whole number from 1"):
            parse_chat(f"faq revert refund-request {bad}")
    with pytest.raises(BadUsage, match="a version is a whole number from 1"):
        parse_chat("faq remove refund-request --base 0 --reason old")
    assert parse_chat("FAQ ALIAS refund-request Money Back").phrase == "Money Back"
    with pytest.raises(BadUsage, match=r"Argument SUBCOMMAND: invalid choice: 'fly'"):
        parse_chat("faq fly refund-request")


def test_words_left_over_are_named_with_the_subcommands_own_usage() -> None:
    with pytest.raises(BadUsage, match=r"Unrecognized arguments: extra words\. Type it as "
                                       r"`faq remove --reason REASON"):
        parse_chat("faq remove refund-request --reason old extra words")
