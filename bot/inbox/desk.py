"""The moderators' inbox desk: list grouped questions and picks, and act on them, as data.

Attaching a group or accepting a pick changes the FAQ through the editing service, so the
change is versioned, audited and checked like any other, and is answered at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.audit import AuditRecord
from bot.errors import InvalidEntry, NotFound
from bot.faq.editing import FaqEditor
from bot.faq.entries import FaqEntry
from bot.faq.knowledge_pack import MAX_PHRASE
from bot.faq.live import LiveFaq
from bot.faq.policy import Outcome, Thresholds
from bot.faq.validation import checked_reason
from bot.inbox.commands import InboxRequest, parse_chat
from bot.inbox.grouping import (
    ACTION_WINDOW,
    INBOX_WINDOW,
    SHOWN_PER_GROUP,
    Candidate,
    Inbox,
    QuestionGroup,
    group_questions,
    questions_like,
)
from bot.messages import Incoming, Reply
from bot.text import phrasing_key

# A group adds at most this many of its wordings (the most asked) as phrasings.
MAX_NEW_PHRASINGS = 12
PREVIEW = 160  # characters of a question a listing shows
CANDIDATES_SHOWN = 10


def _preview(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= PREVIEW else one_line[:PREVIEW - 1] + "…"


def _listed_group(group: QuestionGroup) -> dict[str, object]:
    others = group.phrasings[1:]
    return {"key": group.key, "text": _preview(group.text), "count": group.count,
            "last_at": group.last_at.isoformat(),
            "others": [_preview(p) for p in others[:SHOWN_PER_GROUP]],
            "more": max(0, len(others) - SHOWN_PER_GROUP),
            "suggested": list(group.suggested[:SHOWN_PER_GROUP])}


def _listed_candidate(candidate: Candidate) -> dict[str, object]:
    return {"id": candidate.id, "text": _preview(candidate.text),
            "entry_id": candidate.entry_id, "count": candidate.count}


@dataclass
class InboxDesk:
    """Carries out the moderators' inbox commands from chat and from the command line.

    After a change it asks the live FAQ again, and reports the wordings still not answered
    with the entry (an out-of-scope subject of the pack, or another entry, may rank first).
    """

    inbox: Inbox
    editor: FaqEditor
    faq: LiveFaq
    thresholds: Thresholds
    clock: Callable[[], datetime]

    def chat(self, message: Incoming) -> Reply:
        """An `inbox ...` command typed in chat; non-moderators are refused before parsing."""
        self.editor.require_moderator(message.user, message.moderator)
        request = parse_chat(message.text, message.body)
        return self.handle(request, message.user, granted=message.moderator)

    def handle(self, request: InboxRequest, actor: str, *, granted: bool) -> Reply:
        """Carry out one request as `actor`; refused unless the actor is a moderator."""
        self.editor.require_moderator(actor, granted)
        if request.command == "list":
            return self._listing(request.limit)
        if request.command in ("accept", "reject"):
            return self._pick(request, actor, granted)
        group = self._group(request.number)
        done = _nothing_done(request.command, group.key, request.entry_id)
        reason = checked_reason(request.reason) if request.reason is not None else None
        if request.command == "attach":
            done |= self._attach(group, request, actor, granted)
            status = "attached"
        elif request.command == "create":
            done |= self._create(group, request, actor, granted)
            status = "attached"
        else:
            status = "dismissed"
        closed = self.inbox.close_questions(group.question_ids, status, lambda n: self._audit(
            actor, f"inbox {request.command}", f"group #{group.key}",
            f"{_questions(n)} {status}" +
            (f" to `{request.entry_id}`" if request.entry_id else "") +
            (f"; reason: {reason}" if reason else "")))
        return Reply("inbox_done", done | {"closed": closed})

    def _listing(self, limit: int) -> Reply:
        """The most asked groups (at most `limit`) and the open picks."""
        newest = self.inbox.open_questions(INBOX_WINDOW + 1)
        groups = group_questions(newest[:INBOX_WINDOW])
        candidates = self.inbox.open_candidates()
        return Reply("inbox", {
            "groups": [_listed_group(g) for g in groups[:limit]],
            "total_groups": len(groups), "total_questions": sum(g.count for g in groups),
            "window": INBOX_WINDOW if len(newest) > INBOX_WINDOW else None,
            "candidates": [_listed_candidate(c) for c in candidates[:CANDIDATES_SHOWN]],
            "total_candidates": len(candidates),
        })

    def _group(self, number: int) -> QuestionGroup:
        """The open questions like question #`number`: the group the listing named by it."""
        waiting = self.inbox.open_questions(ACTION_WINDOW)
        named = next((q for q in waiting if q.id == number), None)
        if named is None:
            raise NotFound(f"Question #{number} is not waiting in the inbox: another moderator "
                           "may have handled it; `inbox` lists what is waiting.")
        return questions_like(named, waiting)

    def _attach(self, group: QuestionGroup, request: InboxRequest, actor: str,
                granted: bool) -> dict[str, object]:
        entry = self._live_entry(request.entry_id)
        wordings = self._wordings(group, entry.id)
        known = {phrasing_key(p) for p in (entry.title, *entry.alternates)}
        if not wordings.kept and not any(phrasing_key(p) in known for p in group.phrasings):
            raise InvalidEntry(_none_fit(group, wordings))
        reason = request.reason or f"inbox group #{group.key}: asked {_times(group.count)}"
        version, added = self._add_phrasings(actor, entry.id, wordings.kept, reason, granted)
        return wordings.report() | {"version": version, "added": added,
                                    "unanswered": self._unanswered(entry.id, wordings.kept)}

    def _create(self, group: QuestionGroup, request: InboxRequest, actor: str,
                granted: bool) -> dict[str, object]:
        if request.title is None or request.answer is None:
            raise InvalidEntry("`inbox create` needs --title and --answer.")
        wordings = self._wordings(group, request.entry_id)
        if not wordings.kept:
            raise InvalidEntry(_none_fit(group, wordings))
        entry = FaqEntry(request.entry_id, request.title, request.kind, request.answer,
                         tuple(wordings.kept), request.tags)
        reason = (request.reason or
                  f"from inbox group #{group.key}: asked {_times(group.count)}")
        version = self.editor.add(actor, entry, reason, granted=granted)
        return wordings.report() | {"version": version, "added": len(wordings.kept),
                                    "unanswered": self._unanswered(entry.id, wordings.kept)}

    def _live_entry(self, entry_id: str) -> FaqEntry:
        current = self.editor.current(entry_id)
        if current.removed:
            raise InvalidEntry(f"`{entry_id}` is removed; `faq restore {entry_id}` first.")
        return current.entry

    def _wordings(self, group: QuestionGroup, entry_id: str) -> Wordings:
        """The group's wordings that can become phrasings of `entry_id`, and the others."""
        owners = {phrasing_key(p): e.id for e in self.faq.current().entries.values()
                  if e.id != entry_id for p in (e.title, *e.alternates)}
        return sort_wordings(group.phrasings, owners)

    def _pick(self, request: InboxRequest, actor: str, granted: bool) -> Reply:
        candidate = next((c for c in self.inbox.open_candidates() if c.id == request.number),
                         None)
        if candidate is None:
            raise NotFound(f"There is no open pick #{request.number}: `inbox` lists them.")
        done = _nothing_done(request.command, candidate.id, candidate.entry_id)
        done["text"] = _preview(candidate.text)
        reason = checked_reason(request.reason) if request.reason is not None else None
        if request.command == "accept":
            version, added = self._add_phrasings(
                actor, candidate.entry_id, [candidate.text],
                reason or "accepted a \"did you mean\" pick from the inbox", granted)
            done |= {"version": version, "added": added,
                     "unanswered": self._unanswered(candidate.entry_id, [candidate.text])}
        status = "accepted" if request.command == "accept" else "rejected"
        key = phrasing_key(candidate.text)
        same_words = [q.id for q in self.inbox.open_questions(ACTION_WINDOW)
                      if status == "accepted" and phrasing_key(q.text) == key]
        closed = self.inbox.close_candidate(candidate, status, lambda n: self._audit(
            actor, f"inbox {request.command}", f"pick #{candidate.id}",
            f"{_preview(candidate.text)!r} for `{candidate.entry_id}` {status}" +
            ("" if n else " (another moderator had handled it)") +
            (f"; reason: {reason}" if reason else "")), same_words)
        return Reply("inbox_done", done | {"closed": closed})

    def _add_phrasings(self, actor: str, entry_id: str, phrases: Sequence[str], reason: str,
                       granted: bool) -> tuple[int | None, int]:
        """The new version and how many phrasings it added; (None, 0) if it had them all."""
        entry = self._live_entry(entry_id)
        known = {phrasing_key(p) for p in (entry.title, *entry.alternates)}
        new = [p for p in phrases if phrasing_key(p) not in known]
        if not new:
            return None, 0
        return self.editor.add_phrasings(actor, entry_id, new, reason, granted=granted), len(new)

    def _unanswered(self, entry_id: str, phrases: Sequence[str]) -> list[str]:
        """The phrases the live FAQ still does not answer with `entry_id`."""
        self.faq.refresh()  # another process may have made the change this one found made
        snapshot = self.faq.current()
        decisions = {p: snapshot.decide(p, self.thresholds) for p in phrases}
        return [_preview(p) for p, d in decisions.items()
                if d.outcome is not Outcome.ANSWER or d.entry_id != entry_id]

    def _audit(self, actor: str, action: str, target: str, detail: str) -> AuditRecord:
        return AuditRecord(self.clock(), actor, action, target, detail)


@dataclass(frozen=True)
class Wordings:
    """A group's wordings sorted out: those to add as phrasings and why the others are not."""

    kept: list[str]
    too_long: int  # longer than a phrasing may be
    taken: list[tuple[str, str]]  # (wording, entry) already a phrasing of another entry
    less_asked: int  # fit, but beyond the most asked `MAX_NEW_PHRASINGS`

    def report(self) -> dict[str, object]:
        """What a reply shows of the left-out wordings."""
        return {"too_long": self.too_long, "less_asked": self.less_asked,
                "taken": [{"text": _preview(t), "entry_id": e} for t, e in self.taken]}


def sort_wordings(phrasings: Sequence[str], owners: dict[str, str]) -> Wordings:
    """Most asked first: the wordings short enough and no other entry's (at most
    `MAX_NEW_PHRASINGS` of them), and the others by why they are left out."""
    fitting = [p for p in phrasings if len(p) <= MAX_PHRASE]
    taken = [(p, owners[phrasing_key(p)]) for p in fitting if phrasing_key(p) in owners]
    free = [p for p in fitting if phrasing_key(p) not in owners]
    return Wordings(free[:MAX_NEW_PHRASINGS], len(phrasings) - len(fitting), taken,
                    max(0, len(free) - MAX_NEW_PHRASINGS))


def _none_fit(group: QuestionGroup, wordings: Wordings) -> str:
    """Why nothing of a group can be attached, and what to do instead."""
    why = []
    if wordings.too_long:
        why.append(f"longer than a phrasing may be ({MAX_PHRASE} characters)")
    if wordings.taken:
        owners = sorted({f"`{e}`" for _, e in wordings.taken})
        why.append("already phrasings of " + ", ".join(owners))
    return (f"Nothing was changed: group #{group.key}'s wordings are " + " or ".join(why) +
            f". Add a phrasing in other words with `faq alias ID WORDS`, then "
            f"`inbox dismiss {group.key}`.")


def _nothing_done(action: str, number: int, entry_id: str) -> dict[str, object]:
    """An `inbox_done` reply's values before the action adds what it did."""
    return {"action": action, "number": number, "entry_id": entry_id, "version": None,
            "added": 0, "unanswered": [], "too_long": 0, "taken": [], "less_asked": 0,
            "max_new": MAX_NEW_PHRASINGS}


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _questions(count: int) -> str:
    return f"{count} question{'s' if count != 1 else ''}"
