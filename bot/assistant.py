"""The assistant: turns an incoming message into a reply (data, not text)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot import commands
from bot.commands import Command
from bot.contracts.asking import general_parts
from bot.contracts.personal import MILESTONE_TOPIC, PersonalDesk
from bot.courtesy import courtesy
from bot.errors import NotFound, Unavailable, UserError, described
from bot.faq.commands import MODERATOR_HELP
from bot.faq.desk import FaqDesk
from bot.faq.entries import PERSONAL_TOPICS, FaqEntry
from bot.faq.live import LiveFaq, Snapshot
from bot.faq.policy import Decision, Outcome, Thresholds
from bot.faq.validation import answer_reply
from bot.handoff import OFFER_LIFETIME, HandoffStore
from bot.inbox.commands import INBOX_HELP
from bot.inbox.desk import InboxDesk
from bot.inbox.handoffs import HANDOFF_HELP, HandoffDesk
from bot.inbox.question_log import QuestionLog, asked, candidate_text
from bot.messages import Incoming, Reply
from bot.observer import NoObserver, Observer
from bot.text import MATCH_CHAR_LIMIT, clean

log = logging.getLogger(__name__)

HUMAN_ENTRY = "talk-to-human"
HELP_ENTRY = "bot-help"
MAX_MESSAGE = 100_000  # longer messages are answered from their first part


@dataclass
class Assistant:
    """Answers from the FAQ, suggests when unsure, and hands off to moderators."""

    handoffs: HandoffStore
    faq: LiveFaq
    thresholds: Thresholds
    personal: PersonalDesk
    moderation: FaqDesk
    questions: QuestionLog
    inbox: InboxDesk
    queue: HandoffDesk
    observer: Observer = field(default_factory=NoObserver)

    @property
    def entries(self) -> Mapping[str, FaqEntry]:
        """The live FAQ entries by id."""
        return self.faq.current().entries

    def decide(self, text: str) -> Decision:
        """The matcher's ranking turned into answer / suggest / decline."""
        return self.faq.current().decide(text, self.thresholds)

    def handle(self, message: Incoming) -> Reply:
        """Reply to one message. Never raises: user errors and crashes become replies."""
        started = time.perf_counter()
        reply = self._reply(message)
        self.observer.replied(message.platform, time.perf_counter() - started,
                              failed=reply.template == "oops")
        return reply

    def _reply(self, message: Incoming) -> Reply:
        try:
            return self._handle(message)
        except UserError as exc:
            return Reply("error", {"message": exc.message})
        except Exception as exc:
            # Where it failed, but not the member's words: they may be personal.
            log.error("failed to handle a message from %s: %s", message.user, described(exc))
            return Reply("oops")

    def pick(self, message: Incoming, entry_id: str, question: str = "") -> Reply:
        """The answer for a "did you mean" choice the member picked after asking `question`.

        The question and the pick become a candidate phrasing for the moderators' inbox.
        """
        entry = self.entries.get(entry_id)
        if entry is None:
            return Reply("error", {"message": f"There is no answer with the id {entry_id[:64]!r}."})
        if entry.id in PERSONAL_TOPICS:
            return self.personal.answer(message, entry, clean(question[:MAX_MESSAGE]),
                                        self.entries.get)
        if question.strip():
            self._logged(lambda: self._record_pick(clean(question[:MAX_MESSAGE]), entry.id))
        return self._answer(entry)

    def _record_pick(self, question: str, entry_id: str) -> None:
        text = candidate_text(question, self.decide(question))
        if text is not None:
            self.questions.record_pick(text, entry_id)

    def rate(self, message: Incoming, entry_id: str, helpful: bool) -> Reply:
        """Record a member's helpful / not helpful rating of an answer, and thank them."""
        if entry_id not in self.entries:
            return Reply("error", {"message": f"There is no answer with the id {entry_id[:64]!r}."})
        if not self._logged(lambda: self.questions.record_rating(entry_id, helpful,
                                                                 message.platform)):
            return Reply("oops")
        return Reply("rated", {"helpful": helpful})

    def _logged(self, record: Callable[[], None]) -> bool:
        """Run one logging write; a failure is logged, never the member's problem."""
        try:
            record()
        except Unavailable:
            log.warning("could not write to the question log: the database is not answering")
            return False
        except Exception as exc:
            log.error("could not write to the question log: %s", described(exc))
            return False
        return True

    def _handle(self, message: Incoming) -> Reply:
        text = clean(message.text[:MAX_MESSAGE])
        if not text:
            return Reply("empty")
        command = commands.parse(text)
        if command is not None:
            return self._command(command, message)
        said = courtesy(text)
        if said is not None:  # not a question: answered in kind, not logged, not offered on
            return Reply("courtesy", {"kind": said.value})
        snapshot = self.faq.current()  # one snapshot per message, however the FAQ changes
        entries = snapshot.entries
        decision = snapshot.decide(text, self.thresholds)
        if (decision.outcome is Outcome.SUGGEST and decision.score >= self.thresholds.answer
                and set(decision.suggestions[:2]) == PERSONAL_TOPICS):
            # Confident, and unsure only which personal topic: the member's data answers both.
            decision = Decision(Outcome.ANSWER, decision.suggestions[0], decision.score)
        topic = entries.get(decision.entry_id or "") if decision.outcome is Outcome.ANSWER else None
        if topic is None or topic.id != HUMAN_ENTRY:
            own = self._own_work(message, text, topic, entries.get)
            if own is not None:
                # Logged as a personal topic answered: the words may name the member's work.
                personal = Decision(Outcome.ANSWER, topic.id if topic else MILESTONE_TOPIC,
                                    decision.score)
                self._logged(lambda: self.questions.record_question(
                    asked(message.platform, message.private, text, personal)))
                return self._followed_up(own, snapshot, text[:MATCH_CHAR_LIMIT])
        self._logged(lambda: self.questions.record_question(
            asked(message.platform, message.private, text, decision)))
        self.observer.question(message.platform, decision.outcome.value)
        if decision.outcome is Outcome.ANSWER and decision.entry_id is not None:
            entry = entries[decision.entry_id]
            if entry.id == HUMAN_ENTRY:
                return self._to_moderator(message, "")
            return self._answer(entry)
        if decision.outcome is Outcome.SUGGEST:
            choices = [entries[i] for i in decision.suggestions if i in entries]
            return Reply(
                "suggest",
                {"choices": [{"number": n, "id": e.id, "title": e.title}
                             for n, e in enumerate(choices, 1)]},
            )
        self._logged(lambda: self.handoffs.offer(message.user, message.platform,
                                                 message.private, text[:MATCH_CHAR_LIMIT]))
        return Reply("decline")

    def _own_work(self, message: Incoming, text: str, topic: FaqEntry | None,
                  general: Callable[[str], FaqEntry | None]) -> Reply | None:
        """The personal desk's reply, if the question is about the member's own work. While the
        database is away, only a personal topic waits: other questions get the FAQ's reply."""
        try:
            return self.personal.about_own_work(message, text, topic, general)
        except Unavailable:
            if topic is not None and topic.id in PERSONAL_TOPICS:
                raise
            return None

    def _followed_up(self, reply: Reply, snapshot: Snapshot, text: str) -> Reply:
        """A personal reply, plus the title of the FAQ entry a general part of the question
        asks for ("...and what does escrow mean?")."""
        if reply.template == "not_linked":
            return reply
        for part in general_parts(text):
            decision = snapshot.decide(part, self.thresholds)
            entry = snapshot.entries.get(decision.entry_id or "")
            if decision.outcome is Outcome.ANSWER and entry is not None and entry.kind == "faq":
                follow_up = {"id": entry.id, "title": entry.title}
                return Reply(reply.template, {**reply.context, "follow_up": follow_up},
                             private=reply.private)
        return reply

    def _answer(self, entry: FaqEntry) -> Reply:
        return answer_reply(entry)

    def _command(self, command: Command, message: Incoming) -> Reply:
        if command.name == "help":
            entry = self.entries.get(HELP_ENTRY)
            listed = commands.COMMANDS + (
                MODERATOR_HELP + INBOX_HELP + HANDOFF_HELP
                if self.moderation.is_moderator(message) else ())
            return Reply("help", {
                "answer": entry.answer if entry else "",
                "commands": [{"usage": c.usage, "summary": c.summary} for c in listed],
            })
        if command.name == "moderator":
            return self._to_moderator(message, command.argument)
        if command.name == "faq list":
            return Reply("faq_list", {"entries": [
                {"id": e.id, "title": e.title, "kind": e.kind} for e in self.entries.values()
            ]})
        if command.name == "faq show":
            entry = self.entries.get(command.argument.strip().lower())
            if entry is None:
                raise NotFound(f"There is no answer with the id {command.argument[:64]!r}. "
                               "Type `faq list` to see them.")
            return self._answer(entry)
        if command.name == "faq moderation":
            return self.moderation.chat(message)
        if command.name == "inbox":
            return self.inbox.chat(message)
        if command.name == "handoffs":
            return self.queue.chat(message)
        return self._personal_command(command, message)

    def _personal_command(self, command: Command, message: Incoming) -> Reply:
        desk = self.personal
        if command.name == "link":
            return desk.link(message, command.argument)
        if command.name == "unlink":
            return desk.unlink(message)
        if command.name == "whoami":
            return desk.whoami(message)
        if command.name == "forget me":
            return desk.forget(message, confirmed=command.argument == "confirm")
        if command.name == "contracts":
            return desk.contract_list(message)
        if command.name == "contract status":
            return desk.contract_status(message, command.argument)
        if command.name == "notifications":
            return desk.notifications(message, command.argument == "on")
        raise AssertionError(f"unhandled command {command.name}")

    def _to_moderator(self, message: Incoming, question: str) -> Reply:
        if question:
            self.handoffs.offer(message.user, message.platform, message.private,
                                question[:MATCH_CHAR_LIMIT])
        queued = self.handoffs.queue_last_offer(message.user, OFFER_LIFETIME)
        entry = self.entries.get(HUMAN_ENTRY)
        return Reply("handoff", {
            "queued": queued is not None,
            "handoff": queued.id if queued else None,  # the number, for an adapter to post it
            "answer": entry.answer if entry else "",
        })
