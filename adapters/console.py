"""The console adapter: `forumbot ask` and the interactive `forumbot chat`."""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.app import App
from bot.commands import parse
from bot.delivery import take_pending
from bot.errors import UserError
from bot.faq import commands as faq_commands
from bot.faq.commands import reads_body
from bot.inbox import commands as inbox_commands
from bot.messages import Incoming, Reply
from bot.storage.outbox_store import SqlOutbox

PROMPT = "you> "
QUIT_WORDS = {"/quit", "/exit", "quit", "exit"}
RATINGS = {"+": True, "-": False}  # typed right after an answer: helpful, not helpful
RATE_HINT = "Type + or - right after an answer to tell me whether it helped."
BODY_PROMPT = "...> "
BODY_END = "."
BODY_HINT = ("Type the answer (Markdown, any number of lines); a line with only . ends it, "
             "/quit cancels.")
CANCELLED = "Cancelled: nothing was saved."
NO_CHOICES = ("There are no choices open to pick a number from; ask a question, or type "
              "`help`.")
# The commands whose `--answer -` reads the next lines, and their parsers.
BODY_COMMANDS: dict[str, Callable[[str, str | None], object]] = {
    "faq moderation": faq_commands.parse_chat, "inbox": inbox_commands.parse_chat}


def console_identity(user: str | None) -> str:
    """A platform-qualified identity: `console:NAME` (the login name by default)."""
    name = (user or "").strip() or getpass.getuser().strip() or "member"
    return name if name.startswith("console:") else f"console:{name}"


def incoming(text: str, user: str, body: str | None = None,
             operator: bool = False) -> Incoming:
    """Translate a console line (and the lines a command read after it) into the core's
    message type; the operator at the console (no `--user`) is a moderator."""
    return Incoming(text=text, user=user, platform="console", channel="console", private=True,
                    moderator=operator, body=body)


@dataclass
class ConsoleSession:
    """One member at the console.

    Remembers the last choices and the question they answer, so a number can pick one, and
    the last answer, so `+` or `-` can rate it.
    """

    app: App
    user: str
    operator: bool = False  # the operator running the console, who is a moderator
    choices: list[str] = field(default_factory=list)
    question: str = ""
    answered: str | None = None  # the entry of the last reply, if it was an answer

    def reply_to(self, line: str, body: str | None = None) -> str:
        """Handle one line (a question, a command, a choice number or a rating), rendered;
        `body` holds the lines a command's `--answer -` read after it."""
        stripped = line.strip()
        assistant = self.app.assistant
        if stripped in RATINGS:
            entry_id, self.answered = self.answered, None
            if entry_id is None:
                return RATE_HINT
            return self.render(assistant.rate(self.message(stripped), entry_id,
                                              RATINGS[stripped]))
        if stripped.isdigit() and not self.choices:
            return NO_CHOICES
        if stripped.isdigit():
            number = int(stripped)
            if 1 <= number <= len(self.choices):
                reply = assistant.pick(self.message(stripped), self.choices[number - 1],
                                       question=self.question)
                self.choices = []
                return self._shown(reply)
            return f"Pick a number from 1 to {len(self.choices)}, or ask another question."
        reply = assistant.handle(self.message(line, body))
        self.choices = [c["id"] for c in reply.context.get("choices", [])]
        self.question = line if self.choices else ""
        return self._shown(reply)

    def message(self, text: str, body: str | None = None) -> Incoming:
        """A line typed in this session as the core's message."""
        return incoming(text, self.user, body, self.operator)

    def _shown(self, reply: Reply) -> str:
        """The rendered reply; an answer is remembered for rating."""
        self.answered = reply.context["entry"]["id"] if reply.template == "answer" else None
        return self.render(reply)

    def render(self, reply: Reply) -> str:
        """The reply as console text."""
        return self.app.renderer.render(reply, "text")


def _enable_line_editing(history: Path) -> Callable[[], None]:
    """Arrow keys and a history file when readline is available; returns the saver."""
    try:
        import readline
    except ImportError:  # pragma: no cover - not on this platform
        return lambda: None
    history.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(history)

    return save


def lines(read: Callable[[str], str], prompt: str = PROMPT) -> Iterator[str]:
    """Lines typed at the prompt until end of input."""
    while True:
        try:
            yield read(prompt)
        except EOFError:
            return


def takes_body(session: ConsoleSession, line: str) -> bool:
    """Whether the lines after this one are its answer: a moderator's well-formed `faq` or
    `inbox` command saying `--answer -`. Anyone else's line is handled alone (a member's
    question, a refusal for a non-moderator, or what is wrong with the command)."""
    if not reads_body(line):
        return False
    try:
        command = parse(line)
        if command is None or command.name not in BODY_COMMANDS:
            return False
        BODY_COMMANDS[command.name](line, "")
    except UserError:
        return False
    return session.app.assistant.moderation.is_moderator(session.message(line))


def read_body(read: Callable[[str], str], write: Callable[[str], None]) -> str | None:
    """The lines typed until one holding only `BODY_END`, as one text; None when a quit word
    cancels it. End of input raises `EOFError`, which cancels it too."""
    write(BODY_HINT)
    typed = []
    while (line := read(BODY_PROMPT)).strip() != BODY_END:
        if line.strip().lower() in QUIT_WORDS:
            return None
        typed.append(line)
    return "\n".join(typed).strip("\n")


def reply_to_line(session: ConsoleSession, line: str, read: Callable[[str], str],
                  write: Callable[[str], None]) -> str:
    """The reply to one typed line; a moderator's `--answer -` first reads the answer's lines,
    and sends nothing when they are cancelled."""
    if not takes_body(session, line):
        return session.reply_to(line)
    body = read_body(read, write)
    return CANCELLED if body is None else session.reply_to(line, body)


def show_notifications(session: ConsoleSession, write: Callable[[str], None]) -> None:
    """The member's notifications not yet shown, each shown once, under a heading."""
    replies = take_pending(SqlOutbox(session.app.engine), session.user, datetime.now(UTC))
    if replies:
        write("While you were away:")
        for reply in replies:
            write(f"- {session.render(reply)}")
        write("")


def chat(app: App, user: str, history: Path | None, read: Callable[[str], str] = input,
         write: Callable[[str], None] = print, operator: bool = False) -> None:
    """The interactive console: ask, pick a numbered choice, `/help`, `/quit`."""
    save = _enable_line_editing(history) if history is not None else (lambda: None)
    session = ConsoleSession(app, user, operator)
    write(f"forumbot: ask about milestones, escrow, payments, refunds, disputes or your profile. "
          f"Type /help for commands, /quit to leave; + or - after an answer tells me whether "
          f"it helped. (You are {user}.)")
    show_notifications(session, write)
    try:
        for line in lines(read):
            if line.strip().lower() in QUIT_WORDS:
                break
            if not line.strip():
                continue
            write(reply_to_line(session, line, read, write))
            write("")
    except EOFError:  # the input ended inside an answer: nothing is sent
        write(CANCELLED)
    except KeyboardInterrupt:
        write("")
    finally:
        save()
