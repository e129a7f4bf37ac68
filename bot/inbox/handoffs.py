"""The moderators' hand-off queue: list it, answer a member (closing it), or close it.

An answer reaches the member through the notification outbox (the console shows it at the
next `chat`, the platforms send it as a direct message) and can be kept as an FAQ phrasing or
a new entry in the same step, through the editing service. Every close is audited; the audit
log names the hand-off by number, never the member's words.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.audit import AuditRecord
from bot.commands import CommandHelp
from bot.errors import BadUsage, NotFound
from bot.faq.commands import ChatParser, chat_words, listed_number, lower_first
from bot.faq.editing import FaqEditor
from bot.faq.entries import FaqEntry
from bot.faq.knowledge_pack import MAX_ANSWER
from bot.faq.validation import checked_reason
from bot.handoff import Closing, HandoffStore
from bot.messages import Incoming, Reply
from bot.text import one_line

HANDOFF_HELP: tuple[CommandHelp, ...] = (
    CommandHelp("handoffs", "the questions members passed to the moderators (moderators)"),
    CommandHelp("handoff reply N TEXT [--add-to ID | --new-entry ID --title T]",
                "answer the member privately and close it; optionally keep it in the FAQ "
                "(moderators)"),
    CommandHelp("handoff close N [--reason R]", "close it without an answer (moderators)"),
)
REPLY_TEMPLATE = "handoff_reply"
QUESTION_SHOWN = 300  # of the member's question, quoted back with the answer
LISTED, QUESTION_LISTED = 50, 500  # hand-offs a listing shows (oldest first), and of each


@dataclass(frozen=True)
class HandoffRequest:
    """One parsed hand-off command."""

    command: str  # list, reply or close
    number: int = 0
    text: str = ""
    add_to: str | None = None
    new_entry: str | None = None
    title: str | None = None
    reason: str | None = None


def define(parser: argparse.ArgumentParser, *, command_line: bool) -> None:
    """Add the `list`, `reply` and `close` subcommands; on the command line changes also take
    `--as WHO` (default: the operator)."""
    sub = parser.add_subparsers(dest="handoff_command", metavar="SUBCOMMAND")
    sub.add_parser("list", help="the open hand-offs (the default)", add_help=command_line)

    def change(name: str, summary: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=summary, description=summary, add_help=command_line,
                           allow_abbrev=False)
        p.add_argument("number", type=listed_number("the hand-off list"), metavar="N",
                       help="the hand-off's number")
        p.add_argument("--reason", help="why, in one line, for the audit log")
        if command_line:
            p.add_argument("--as", dest="actor", metavar="WHO",
                           help="who acts, for the audit log (default: the operator)")
        return p

    reply = change("reply", "send the member an answer and close the hand-off")
    reply.add_argument("text", nargs="+", metavar="TEXT", help="the answer")
    keep = reply.add_mutually_exclusive_group()
    keep.add_argument("--add-to", metavar="ID", help="add the member's question to this "
                      "entry as a phrasing")
    keep.add_argument("--new-entry", metavar="ID", help="make a new entry: the question as its "
                      "phrasing, the answer as its answer (needs --title)")
    reply.add_argument("--title", help="the new entry's title")
    change("close", "close the hand-off without an answer")


def request_from_args(args: argparse.Namespace) -> HandoffRequest:
    """The request the parsed arguments make."""
    return HandoffRequest(
        command=args.handoff_command or "list",
        number=getattr(args, "number", 0),
        text=" ".join(getattr(args, "text", None) or ()),
        add_to=getattr(args, "add_to", None),
        new_entry=getattr(args, "new_entry", None),
        title=getattr(args, "title", None),
        reason=getattr(args, "reason", None),
    )


def parse_chat(text: str) -> HandoffRequest:
    """A chat message `handoffs`, `handoff reply N TEXT` or `handoff close N` as a request."""
    root = ChatParser(prog="handoff", add_help=False, allow_abbrev=False)
    define(root, command_line=False)
    words = chat_words(text.strip().removeprefix("/"))
    return request_from_args(root.parse_words(lower_first(words[1:])))


def _answer_text(text: str) -> str:
    answer = text.strip()
    if not answer:
        raise BadUsage("Give the answer: `handoff reply N TEXT`.")
    if len(answer) > MAX_ANSWER:
        raise BadUsage(f"The answer is {len(answer):,} characters; keep it to {MAX_ANSWER:,}.")
    return answer


@dataclass
class HandoffDesk:
    """Carries out the moderators' hand-off commands from chat and from the command line."""

    handoffs: HandoffStore
    editor: FaqEditor
    clock: Callable[[], datetime]

    def chat(self, message: Incoming) -> Reply:
        """A hand-off command typed in chat; others are refused before parsing."""
        self.editor.require_moderator(message.user, message.moderator)
        return self.handle(parse_chat(message.text), message.user, granted=message.moderator)

    def handle(self, request: HandoffRequest, actor: str, *, granted: bool) -> Reply:
        """Carry out one request as `actor`; refused unless the actor is a moderator."""
        self.editor.require_moderator(actor, granted)
        if request.command == "list":
            queue = self.handoffs.queued()
            # Private: members' questions and identities never go to a public channel.
            return Reply("handoff_list", {"total": len(queue), "handoffs": [
                {"number": h.id, "at": h.created_at.isoformat(), "user": h.user,
                 "platform": h.platform, "question": h.question[:QUESTION_LISTED]}
                for h in queue[:LISTED]]}, private=True)
        handoff = self.handoffs.get(request.number)
        if handoff is None or handoff.status != "queued":
            raise NotFound(f"Hand-off #{request.number} is not open"
                           f"{' (it was closed already)' if handoff else ''}; type `handoffs` "
                           "to see the open ones.")
        reason = checked_reason(request.reason) if request.reason else ""
        now = self.clock()
        if request.command == "close":
            closing = Closing("closed", AuditRecord(now, actor, "handoff close",
                                                    f"handoff #{handoff.id}",
                                                    reason or "closed without an answer"))
            return self._closed(request, closing, kept=None)
        answer = _answer_text(request.text)
        kept = self._keep(request, actor, granted, handoff.question, answer, reason)
        detail = "answered the member" + (f"; {kept[0]} {kept[1]}" if kept else "")
        closing = Closing("answered",
                          AuditRecord(now, actor, "handoff reply", f"handoff #{handoff.id}",
                                      one_line(f"{detail}{'; ' + reason if reason else ''}")),
                          (REPLY_TEMPLATE, {"question": handoff.question[:QUESTION_SHOWN],
                                            "answer": answer}))
        return self._closed(request, closing, kept)

    def _keep(self, request: HandoffRequest, actor: str, granted: bool, question: str,
              answer: str, reason: str) -> tuple[str, str] | None:
        """Keep the answer in the FAQ first, so that a refused edit sends nothing."""
        why = reason or f"from hand-off #{request.number}"
        if request.add_to:
            entry_id = request.add_to.strip().lower()
            self.editor.add_phrasings(actor, entry_id, [question], why, granted=granted)
            return ("added the question to", entry_id)
        if request.new_entry:
            if not request.title:
                raise BadUsage("`--new-entry ID` needs `--title \"...\"` too.")
            entry_id = request.new_entry.strip().lower()
            entry = FaqEntry(entry_id, request.title, "faq", answer, (question,), ())
            self.editor.add(actor, entry, why, granted=granted)
            return ("created the entry", entry_id)
        if request.title:
            raise BadUsage("`--title` goes with `--new-entry ID`.")
        return None

    def _closed(self, request: HandoffRequest, closing: Closing,
                kept: tuple[str, str] | None) -> Reply:
        if self.handoffs.close(request.number, closing) is None:
            raise NotFound(f"Hand-off #{request.number} was closed by someone else just now; "
                           "nothing was sent.")
        return Reply("handoff_done", {"action": request.command, "number": request.number,
                                      "kept": list(kept) if kept else None}, private=True)
