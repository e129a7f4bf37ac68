"""The moderators' `faq ...` commands: one argparse definition for chat and the command line.

In chat a moderator types the command line's words after `faq`; "double quotes" group words
(apostrophes are letters: `faq alias refund-request can't get my money back` works).
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, NoReturn

from bot.commands import CommandHelp
from bot.errors import BadUsage
from bot.faq.editing import EntryChanges
from bot.faq.entries import KINDS
from bot.whole_numbers import whole_number

# Subcommands that change the FAQ; the others only read it.
CHANGES = ("add", "edit", "alias", "unalias", "remove", "restore", "revert")
MODERATOR_HELP: tuple[CommandHelp, ...] = (
    CommandHelp('faq add ID --title "T" --answer "A" [--alternate "P"]... [--tag T]... '
                '--reason "R"', "a new entry (moderators)"),
    CommandHelp('faq edit ID [--title "T"] [--answer "A"] [--alternate "P"]... [--tag T]... '
                '[--base VERSION] --reason "R"', "change an entry's fields (moderators)"),
    CommandHelp("faq alias ID PHRASE", "add a way members ask for it (moderators)"),
    CommandHelp("faq unalias ID PHRASE", "remove a phrasing (moderators)"),
    CommandHelp('faq remove ID --reason "R"', "stop answering it; history kept (moderators)"),
    CommandHelp("faq restore ID", "answer a removed entry again (moderators)"),
    CommandHelp("faq search WORDS", "entries holding these words, removed ones too (moderators)"),
    CommandHelp("faq history ID", "every version: who, when, why (moderators)"),
    CommandHelp("faq diff ID V1 V2", "what changed between two versions (moderators)"),
    CommandHelp("faq revert ID VERSION", "a new version with an old one's content (moderators)"),
)


@dataclass(frozen=True)
class FaqRequest:
    """One parsed moderator command: the subcommand and its values."""

    command: str
    entry_id: str = ""
    changes: EntryChanges = field(default_factory=EntryChanges)
    phrase: str = ""
    reason: str | None = None
    base: int | None = None
    versions: tuple[int, ...] = ()  # revert: the one to go back to; diff: the two compared
    query: str = ""


# A refusal quotes at most this much of what was typed (argparse quotes whole words).
MAX_QUOTED = 200


class ChatParser(argparse.ArgumentParser):
    """An argument parser that raises `BadUsage` instead of printing and exiting."""

    def error(self, message: str) -> NoReturn:
        usage = " ".join(self.format_usage().removeprefix("usage: ").split())
        if len(message) > MAX_QUOTED:
            message = message[:MAX_QUOTED] + "…"
        raise BadUsage(f"{message[:1].upper()}{message[1:]}. Type it as `{usage}`.")

    def parse_words(self, words: list[str]) -> argparse.Namespace:
        """Parse chat words; words left over are named with the subcommand's own usage."""
        args, extra = self.parse_known_args(words)
        if extra:
            chosen = next((action.choices.get(getattr(args, action.dest, None) or "")
                           for action in self._actions
                           if isinstance(action, argparse._SubParsersAction)), None)
            (chosen or self).error(f"unrecognized arguments: {' '.join(extra)}")
        return args


MAX_VERSION = 2**31 - 1


def listed_number(listing: str) -> Callable[[str], int]:
    """An argparse type for a number as a listing shows it (`#12` or `12`); anything else is
    refused as not a number from `listing`."""
    def number(text: str) -> int:
        value = whole_number(text.removeprefix("#"))
        if value is None:
            raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a number from {listing}")
        return value
    return number


def _version(text: str) -> int:
    """A version number as typed: a whole number from 1."""
    version = whole_number(text, high=MAX_VERSION)
    if version is None:
        raise argparse.ArgumentTypeError(f"a version is a whole number from 1, not {text[:20]!r}")
    return version


def _entry_options(p: argparse.ArgumentParser, *, new: bool) -> None:
    p.add_argument("--title", required=new, help="the entry's title")
    p.add_argument("--answer", required=new,
                   help="the answer in Markdown; `-` reads it from standard input")
    p.add_argument("--kind", choices=KINDS, default="faq" if new else None)
    p.add_argument("--alternate", action="append", metavar="PHRASE",
                   help="a way members ask it; repeat for more" +
                   ("" if new else " (replaces all of them)"))
    p.add_argument("--tag", action="append", help="a tag; repeat for more" +
                   ("" if new else " (replaces all of them)"))


def define(sub: argparse._SubParsersAction[Any], *, command_line: bool) -> None:
    """Add the moderator subcommands; on the command line changes also take `--as WHO`."""
    def parser(name: str, summary: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(
            name, help=summary, description=summary, add_help=command_line, allow_abbrev=False)
        if name in CHANGES:
            p.add_argument("--reason", required=name in ("add", "edit", "remove"),
                           help="why, in one line")
            if command_line:
                p.add_argument("--as", dest="actor", required=True, metavar="WHO",
                               help="who makes the change, for the history and audit log")
            if name != "add":
                p.add_argument("--base", type=_version, metavar="VERSION",
                               help="the version you started from: refused if it changed since")
        return p

    add = parser("add", "add a new entry")
    add.add_argument("id", metavar="ID")
    _entry_options(add, new=True)
    edit = parser("edit", "change an entry's fields")
    edit.add_argument("id", metavar="ID")
    _entry_options(edit, new=False)
    for name, summary in (("alias", "add a phrasing to an entry"),
                          ("unalias", "remove a phrasing from an entry")):
        p = parser(name, summary)
        p.add_argument("id", metavar="ID")
        p.add_argument("phrase", nargs="+", metavar="PHRASE")
    for name, summary in (("remove", "stop answering an entry (its history is kept)"),
                          ("restore", "answer a removed entry again"),
                          ("history", "every version of an entry")):
        parser(name, summary).add_argument("id", metavar="ID")
    parser("search", "entries holding all these words").add_argument("query", nargs="+",
                                                                      metavar="WORD")
    diff = parser("diff", "a unified diff between two versions of an entry")
    diff.add_argument("id", metavar="ID")
    diff.add_argument("versions", nargs=2, type=_version, metavar="VERSION")
    revert = parser("revert", "a new version with the content of an old one")
    revert.add_argument("id", metavar="ID")
    revert.add_argument("version", type=_version, metavar="VERSION")


def answer_from_args(args: argparse.Namespace,
                     read_stdin: Callable[[], str] | None) -> str | None:
    """The `--answer` given, if any; `--answer -` reads `read_stdin` (standard input on the
    command line, the lines that follow at the console)."""
    answer: str | None = getattr(args, "answer", None)
    if answer == "-":
        if read_stdin is None:
            raise BadUsage("`--answer -` reads the answer from the lines that follow, at the "
                           "console or the command line; here, put the answer in double quotes "
                           "instead.")
        answer = read_stdin()
    return answer


def reads_body(text: str) -> bool:
    """Whether a chat command says `--answer -`: its answer follows on lines of its own."""
    try:
        words = chat_words(text)
    except BadUsage:
        return False
    return "--answer=-" in words or any(a == "--answer" and b == "-"
                                        for a, b in pairwise(words))


def body_reader(body: str | None) -> Callable[[], str] | None:
    """What `--answer -` reads for a chat message: the body sent with it, if any."""
    return None if body is None else lambda: body


def request_from_args(args: argparse.Namespace,
                      read_stdin: Callable[[], str] | None = None) -> FaqRequest:
    """The request the parsed arguments make; `--answer -` reads `read_stdin` if there is one."""
    answer = answer_from_args(args, read_stdin)
    alternates, tags = getattr(args, "alternate", None), getattr(args, "tag", None)
    changes = EntryChanges(
        title=getattr(args, "title", None), answer=answer, kind=getattr(args, "kind", None),
        alternates=tuple(alternates) if alternates is not None else None,
        tags=tuple(tags) if tags is not None else None,
    )
    versions = getattr(args, "versions", None) or ()
    version = getattr(args, "version", None)
    return FaqRequest(
        command=args.faq_command,
        entry_id=getattr(args, "id", "").strip().lower(),
        changes=changes,
        phrase=" ".join(getattr(args, "phrase", None) or ()),
        reason=getattr(args, "reason", None),
        base=getattr(args, "base", None),
        versions=tuple(versions) if version is None else (version,),
        query=" ".join(getattr(args, "query", None) or ()),
    )


def chat_words(text: str) -> list[str]:
    """A chat line's words: "double quotes" (straight or curly) group them, nothing else."""
    lexer = shlex.shlex(text.replace("\u201c", '"').replace("\u201d", '"'), posix=True)
    lexer.whitespace_split = True
    lexer.quotes, lexer.escape, lexer.commenters = '"', "", ""
    try:
        return list(lexer)
    except ValueError:
        raise BadUsage('A double quote (") is not closed.') from None


def parse_chat(text: str, body: str | None = None) -> FaqRequest:
    """A chat message `faq SUBCOMMAND ...` (or `/faq ...`) as a request; `--answer -` reads
    `body`."""
    root = ChatParser(prog="faq", add_help=False, allow_abbrev=False)
    define(root.add_subparsers(dest="faq_command", required=True, metavar="SUBCOMMAND"),
           command_line=False)
    words = chat_words(text.strip().removeprefix("/"))
    return request_from_args(root.parse_words(lower_first(words[1:])), body_reader(body))


def lower_first(words: list[str]) -> list[str]:
    """The words with the subcommand (the first) in lower case, as chat commands are typed."""
    return [words[0].lower(), *words[1:]] if words else words
