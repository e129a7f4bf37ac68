"""The two kinds of failure: typed, user-caused errors with a safe message, and the rest."""

from __future__ import annotations

import traceback


def described(exc: BaseException) -> str:
    """An exception for the log: its type and where it was raised, never its message, which
    can quote members' words or data (a database error quotes the statement's values)."""
    return f"{type(exc).__name__}\n{''.join(traceback.format_tb(exc.__traceback__))}".rstrip()


class UserError(Exception):
    """A failure the user caused and can fix; its message is safe to show them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownCommand(UserError):
    """The user typed a command the assistant does not know."""


class NotFound(UserError):
    """The user named something (an entry, a version) that does not exist."""


class KnowledgeError(UserError):
    """A knowledge file is broken; the message names the file and the reason."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class SettingsError(UserError):
    """A setting has a bad value; the message names the key and the value."""


class ImportProblem(UserError):
    """A contract import file is wrong; the message names the record (and line) and the reason."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        where = path if line is None else f"line {line}: {path}"
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.reason = reason
        self.line = line


class WebhookRejected(UserError):
    """A webhook request refused with an HTTP status; the reason is safe to send back and log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class NotAllowed(UserError):
    """Someone who is not a moderator tried a moderator's command; nothing changed."""


class InvalidEntry(UserError):
    """An FAQ change that would break the entry (empty answer, too long, a taken phrasing)."""


class BadUsage(UserError):
    """A command typed with missing or wrong options; the message shows how to type it."""


class EditConflict(UserError):
    """A change based on a version that is no longer the newest: someone changed it since."""

    def __init__(self, entry_id: str, base: int, version: int, author: str, reason: str) -> None:
        since = f"changed since version {base}" if base else "was created meanwhile"
        super().__init__(
            f"`{entry_id}` {since}: version {version} is by {author} ({reason}). Nothing was "
            f"saved; look at `faq history {entry_id}` and make your change again on version "
            f"{version}."
        )
        self.entry_id = entry_id
        self.base = base
        self.version = version
        self.author = author


UNAVAILABLE = ("That is temporarily unavailable: the database is not answering. FAQ questions "
               "are still answered; try this again in a minute.")


class Unavailable(UserError):
    """The database does not answer (an outage, a restart): what needs it is refused for now."""

    def __init__(self, message: str = UNAVAILABLE) -> None:
        super().__init__(message)
