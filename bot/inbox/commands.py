"""The moderators' `inbox ...` commands: one argparse definition for chat and the command line.

In chat a moderator types the command line's words after `inbox`, without `--as`; "double
quotes" group words, as in the `faq` commands.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from bot.commands import CommandHelp
from bot.faq.commands import (
    ChatParser,
    answer_from_args,
    body_reader,
    chat_words,
    listed_number,
    lower_first,
)
from bot.faq.entries import KINDS
from bot.whole_numbers import whole_number

DEFAULT_LIMIT = 10  # groups a listing shows
CHANGES = ("attach", "create", "dismiss", "accept", "reject")
INBOX_HELP: tuple[CommandHelp, ...] = (
    CommandHelp("inbox [--limit N]", "unanswered questions, similar ones grouped, most asked "
                "first, and picked choices (moderators)"),
    CommandHelp("inbox attach GROUP ID", "add a group's questions to an entry as phrasings "
                "(moderators)"),
    CommandHelp('inbox create GROUP ID --title "T" --answer "A" [--tag T]...',
                "a new entry asked the group's ways (moderators)"),
    CommandHelp("inbox dismiss GROUP", "take a group out of the inbox (moderators)"),
    CommandHelp("inbox accept PICK", "add a picked choice's question to its entry (moderators)"),
    CommandHelp("inbox reject PICK", "drop a picked choice (moderators)"),
)


@dataclass(frozen=True)
class InboxRequest:
    """One parsed inbox command; `number` is the group or the pick it acts on."""

    command: str  # list, or one of CHANGES
    number: int = 0
    entry_id: str = ""
    title: str | None = None
    answer: str | None = None
    kind: str = "faq"
    tags: tuple[str, ...] = ()
    reason: str | None = None
    limit: int = DEFAULT_LIMIT


def _limit(text: str) -> int:
    limit = whole_number(text)
    if limit is None:
        raise argparse.ArgumentTypeError(f"--limit must be a whole number from 1, "
                                         f"not {text[:20]!r}")
    return limit


def define(parser: argparse.ArgumentParser, *, command_line: bool) -> None:
    """Add `[--limit N]` and the subcommands; on the command line changes also take `--as WHO`."""
    parser.add_argument("--limit", type=_limit, default=DEFAULT_LIMIT,
                        help=f"how many groups to list (default: {DEFAULT_LIMIT})")
    sub = parser.add_subparsers(dest="inbox_command", metavar="SUBCOMMAND")

    def change(name: str, summary: str, target: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=summary, description=summary, add_help=command_line,
                           allow_abbrev=False)
        p.add_argument("number", type=listed_number("the inbox listing"), metavar=target)
        p.add_argument("--reason", help="why, in one line, for the history and audit log")
        if command_line:
            p.add_argument("--as", dest="actor", required=True, metavar="WHO",
                           help="who acts, for the history and the audit log")
        return p

    sub.add_parser("list", help="the inbox (the default)", add_help=command_line)
    change("attach", "add a group's questions to an entry as phrasings", "GROUP").add_argument(
        "id", metavar="ID", help="the entry")
    create = change("create", "a new entry asked the group's ways", "GROUP")
    create.add_argument("id", metavar="ID", help="the new entry's id")
    create.add_argument("--title", required=True, help="the entry's title")
    create.add_argument("--answer", required=True,
                        help="the answer in Markdown; `-` reads it from standard input")
    create.add_argument("--kind", choices=KINDS, default="faq")
    create.add_argument("--tag", action="append", help="a tag; repeat for more")
    change("dismiss", "take a group out of the inbox", "GROUP")
    change("accept", "add a picked choice's question to its entry", "PICK")
    change("reject", "drop a picked choice", "PICK")


def request_from_args(args: argparse.Namespace,
                      read_stdin: Callable[[], str] | None = None) -> InboxRequest:
    """The request the parsed arguments make; `--answer -` reads `read_stdin` if there is one."""
    answer = answer_from_args(args, read_stdin)
    return InboxRequest(
        command=args.inbox_command or "list",
        number=getattr(args, "number", 0),
        entry_id=getattr(args, "id", "").strip().lower(),
        title=getattr(args, "title", None),
        answer=answer,
        kind=getattr(args, "kind", "faq"),
        tags=tuple(getattr(args, "tag", None) or ()),
        reason=getattr(args, "reason", None),
        limit=args.limit,
    )


def parse_chat(text: str, body: str | None = None) -> InboxRequest:
    """A chat message `inbox ...` (or `/inbox ...`) as a request; `--answer -` reads `body`."""
    root = ChatParser(prog="inbox", add_help=False, allow_abbrev=False)
    define(root, command_line=False)
    words = chat_words(text.strip().removeprefix("/"))
    return request_from_args(root.parse_words(lower_first(words[1:])), body_reader(body))
