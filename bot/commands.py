"""Command parsing: pure, so that what counts as a command is visible in one place."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import UnknownCommand


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
)

_WORDS = {"help": "help", "commands": "help", "moderator": "moderator", "faq": "faq"}


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
    if name == "faq":
        sub, _, arg = rest.partition(" ")
        if sub.lower() in {"list", "show"}:
            return Command(f"faq {sub.lower()}", arg.strip())
        if slash or not rest:
            raise UnknownCommand("Try `faq list` or `faq show ID`.")
        return None
    return Command(name, rest)
