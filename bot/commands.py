"""Command parsing: pure, so that what counts as a command is visible in one place."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import UnknownCommand
from bot.redaction import TYPED_CODE


@dataclass(frozen=True)
class Command:
    """A parsed command: its name and the rest of the line."""

    name: str
    argument: str = ""


@dataclass(frozen=True)
class CommandHelp:
    """One line of `help`: how to type it and what it does."""

    usage: str
    summary: str


COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp("help", "what I can do, and these commands"),
    CommandHelp(
        "moderator [QUESTION]",
        "pass your last unanswered question (or this one) to a moderator",
    ),
    CommandHelp("faq list", "every answer I know, by id"),
    CommandHelp("faq show ID", "one answer, by id"),
    CommandHelp("link CODE", "link your chat account with a code from the marketplace site"),
    CommandHelp("contracts", "your contracts (linked members, answered privately)"),
    CommandHelp("contract status [CONTRACT]", "a contract's milestones and payments, privately"),
    CommandHelp("notifications on|off", "payment notifications for linked members"),
    CommandHelp("whoami", "who I think you are, and the account you are linked to"),
    CommandHelp("unlink", "remove the link to your marketplace account"),
    CommandHelp("forget me", "delete your link and everything I kept about your questions "
                "(asks you to confirm)"),
)

_WORDS = {"help": "help", "commands": "help", "moderator": "moderator", "faq": "faq",
          "link": "link", "unlink": "unlink", "whoami": "whoami", "contracts": "contracts",
          "contract": "contract", "notifications": "notifications", "forget": "forget",
          "inbox": "inbox", "handoffs": "handoffs", "handoff": "handoff"}
# Commands that are the whole message; with more words they are questions ("unlink how?").
_BARE = {"unlink", "whoami", "contracts"}
# `faq` subcommands for moderators; `bot.faq.commands` parses the rest of the message.
FAQ_MODERATOR_WORDS = frozenset({"add", "edit", "alias", "unalias", "remove", "restore",
                                 "search", "history", "diff", "revert"})
# `handoff` subcommands for moderators; `bot.inbox.handoffs` parses the rest.
HANDOFF_WORDS = frozenset({"list", "reply", "close"})
# `inbox` subcommands for moderators; `bot.inbox.commands` parses the rest of the message.
INBOX_WORDS = frozenset({"list", "attach", "create", "dismiss", "accept", "reject"})


def parse(text: str) -> Command | None:
    """The command `text` starts with, or None for a question.

    A leading `/` always means a command (`/help`); without it only the bare command words
    count, so that "faq about refunds?" is still a question.
    """
    stripped = text.strip()
    slash = stripped.startswith("/")
    head, _, rest = stripped.lstrip("/").partition(" ")
    name = _WORDS.get(head.lower())
    rest = rest.strip()
    if name is None:
        if slash:
            raise UnknownCommand(
                f"I don't know the command {('/' + head)[:40]!r}. "
                "Type `help` for the commands I know."
            )
        return None
    if name == "help" and rest and not slash:
        return None  # "help me with a refund" is a question
    if name in _BARE:
        return Command(name) if slash or not rest.strip(" ?!.") else None
    if name == "link":
        return _link(rest, slash)
    if name == "contract":
        sub, _, arg = rest.partition(" ")
        if sub.lower() == "status":
            return Command("contract status", arg.strip())
        if slash:
            raise UnknownCommand("Try `contract status` or `contract status CONTRACT`.")
        return None
    if name == "notifications":
        if rest.lower() in {"on", "off"}:
            return Command("notifications", rest.lower())
        if slash or not rest:
            raise UnknownCommand("Try `notifications on` or `notifications off`.")
        return None
    if name == "forget":
        said = rest.lower().strip(" .!").split()
        if said[:1] == ["me"] and said[1:] in ([], ["confirm"]):
            return Command("forget me", " ".join(said[1:]))
        return None
    if name in {"handoffs", "handoff"}:
        sub = rest.split(maxsplit=1)[0].lower() if rest else ""
        if sub in HANDOFF_WORDS or (name == "handoffs" and not rest.strip(" ?!.")):
            return Command("handoffs", rest)
        if slash:
            raise UnknownCommand("Try `handoffs`, `handoff reply N TEXT` or "
                                 "`handoff close N [--reason R]`.")
        return None  # "handoff to a human?" is a question
    if name == "inbox":
        sub = rest.split(maxsplit=1)[0].lower() if rest else ""
        if slash or not rest or sub in INBOX_WORDS or sub.startswith("--"):
            return Command("inbox", rest)
        return None  # "inbox full, what now?" is a question
    if name == "faq":
        sub, _, arg = rest.partition(" ")
        if sub.lower() in {"list", "show"}:
            return Command(f"faq {sub.lower()}", arg.strip())
        if sub.lower() in FAQ_MODERATOR_WORDS:
            return Command("faq moderation", rest)
        if slash or not rest:
            raise UnknownCommand("Try `faq list` or `faq show ID`.")
        return None
    return Command(name, rest)


def _link(rest: str, slash: bool) -> Command | None:
    """`link CODE`: one word after `link` (or anything after `/link`); more words ask a question."""
    if not rest:
        if slash:
            raise UnknownCommand("Send `link CODE` with the code from the marketplace site.")
        return None
    if slash or len(rest.split()) == 1 or TYPED_CODE.fullmatch(rest):
        return Command("link", rest)
    return None
