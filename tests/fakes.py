"""In-memory fakes of the core's ports, for unit tests that need no database."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.app import build_matcher
from bot.assistant import Assistant
from bot.audit import AuditRecord
from bot.contracts.linking import (
    CODE_LIFETIME,
    LOCKOUT,
    MAX_WRONG_CODES,
    Link,
    LinkOutcome,
    Redemption,
    code_hash,
    new_code,
)
from bot.contracts.model import Contract
from bot.contracts.personal import PersonalDesk
from bot.errors import EditConflict
from bot.faq.desk import FaqDesk
from bot.faq.editing import FaqEditor
from bot.faq.entries import FaqEntry, StoredEntry, SyncReport, plan_sync
from bot.faq.history import Change, FaqVersion
from bot.faq.knowledge_pack import KnowledgePack
from bot.faq.live import LiveFaq, Snapshot
from bot.faq.policy import Thresholds
from bot.faq.vocabulary import Vocabulary
from bot.handoff import Closing, Handoff
from bot.inbox.desk import InboxDesk
from bot.inbox.grouping import Candidate, OpenQuestion
from bot.inbox.handoffs import HandoffDesk
from bot.inbox.question_log import AskedQuestion
from bot.moderators import Moderator
from bot.rendering import Renderer
from bot.resources import templates_dir

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class FakeFaqStore:
    """Implements `bot.faq.entries.FaqStore` in a dict."""

    rows: dict[str, StoredEntry] = field(default_factory=dict)

    def all_entries(self) -> list[FaqEntry]:
        return [self.rows[k].entry for k in sorted(self.rows)]

    def get(self, entry_id: str) -> FaqEntry | None:
        row = self.rows.get(entry_id)
        return row.entry if row else None

    def sync(self, pack: Sequence[FaqEntry]) -> SyncReport:
        report = plan_sync(pack, self.rows)
        for entry in pack:
            if entry.id in report.created + report.updated:
                self.rows[entry.id] = StoredEntry(entry, entry.content_hash())
        return report


@dataclass
class FakeHandoffStore:
    """Implements `bot.handoff.HandoffStore` in a list."""

    items: list[Handoff] = field(default_factory=list)
    closings: list[Closing] = field(default_factory=list)

    def offer(self, user: str, platform: str, channel_private: bool, question: str) -> None:
        number = max((h.id for h in self.items), default=0) + 1
        self.items = [h for h in self.items if not (h.user == user and h.status == "offered")]
        self.items.append(Handoff(number, user, platform, channel_private, question,
                                  "offered", datetime.now(UTC)))

    def queue_last_offer(self, user: str, within: timedelta) -> Handoff | None:
        since = datetime.now(UTC) - within
        for i in range(len(self.items) - 1, -1, -1):
            h = self.items[i]
            if h.user == user and h.status == "offered" and h.created_at >= since:
                queued = Handoff(h.id, h.user, h.platform, h.channel_private, h.question,
                                 "queued", h.created_at)
                self.items[i] = queued
                return queued
        return None

    def withdraw(self, handoff_id: int) -> bool:
        for i, h in enumerate(self.items):
            if h.id == handoff_id and h.status == "queued":
                self.items[i] = dataclasses.replace(h, status="offered",
                                                    created_at=datetime.now(UTC))
                return True
        return False

    def queued(self) -> list[Handoff]:
        return [h for h in self.items if h.status == "queued"]

    def get(self, handoff_id: int) -> Handoff | None:
        return next((h for h in self.items if h.id == handoff_id and h.status != "offered"),
                    None)

    def close(self, handoff_id: int, closing: Closing) -> Handoff | None:
        for i, h in enumerate(self.items):
            if h.id == handoff_id and h.status == "queued":
                self.items[i] = dataclasses.replace(h, status=closing.status)
                self.closings.append(closing)
                return self.items[i]
        return None


@dataclass
class FakeContracts:
    """Implements `bot.contracts.model.ContractLookup` over a list."""

    contracts: list[Contract] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    def contracts_of(self, account_id: str) -> list[Contract]:
        owned = [c for c in self.contracts if c.role_of(account_id) is not None]
        return sorted(owned, key=lambda c: c.started_at, reverse=True)

    def names_of(self, account_ids: Sequence[str]) -> dict[str, str]:
        return {a: self.names[a] for a in account_ids if a in self.names}


@dataclass
class FakeLinks:
    """Implements `bot.contracts.linking.LinkStore` in dicts, with the SQL store's rules."""

    links: dict[str, Link] = field(default_factory=dict)
    codes: dict[str, tuple[str, datetime, bool]] = field(default_factory=dict)
    failures: dict[str, list[datetime]] = field(default_factory=dict)
    forgotten: list[str] = field(default_factory=list)

    def link_of(self, identity: str) -> Link | None:
        return self.links.get(identity)

    def issue_code(self, account_id: str, now: datetime) -> str:
        code = new_code()
        self.codes[code_hash(code)] = (account_id, now + CODE_LIFETIME, False)
        return code

    def redeem(self, identity: str, platform: str, code: str, now: datetime) -> Redemption:
        recent = [t for t in self.failures.get(identity, []) if t > now - LOCKOUT]
        if len(recent) >= MAX_WRONG_CODES:
            return Redemption(LinkOutcome.LOCKED, locked_until=sorted(recent)[-MAX_WRONG_CODES]
                              + LOCKOUT)
        found = self.codes.get(code_hash(code))
        if found is None or found[2] or found[1] <= now:
            self.failures.setdefault(identity, []).append(now)
            left = MAX_WRONG_CODES - len(recent) - 1
            if left == 0:
                return Redemption(LinkOutcome.LOCKED, locked_until=now + LOCKOUT)
            return Redemption(LinkOutcome.WRONG, attempts_left=left)
        self.codes[code_hash(code)] = (found[0], found[1], True)
        self.links[identity] = Link(identity, found[0], platform, True, now)
        return Redemption(LinkOutcome.LINKED, account_id=found[0])

    def unlink(self, identity: str) -> bool:
        return self.links.pop(identity, None) is not None

    def set_notify(self, identity: str, on: bool) -> bool:
        link = self.links.get(identity)
        if link is None:
            return False
        self.links[identity] = Link(link.identity, link.account_id, link.platform, on,
                                    link.linked_at)
        return True

    def forget(self, identity: str) -> None:
        self.links.pop(identity, None)
        self.failures.pop(identity, None)
        self.forgotten.append(identity)


@dataclass
class FakeFaqVersions:
    """Implements `bot.faq.history.FaqVersions` in lists, with the SQL store's conflict rule."""

    versions: dict[str, list[FaqVersion]] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)

    @classmethod
    def seeded(cls, entries: Sequence[FaqEntry]) -> FakeFaqVersions:
        return cls({e.id: [FaqVersion(e, 1, False, "knowledge sync", "seeded", NOW)]
                    for e in entries})

    def latest(self, entry_id: str) -> FaqVersion | None:
        found = self.versions.get(entry_id)
        return found[-1] if found else None

    def all_latest(self) -> list[FaqVersion]:
        return [self.versions[k][-1] for k in sorted(self.versions)]

    def history(self, entry_id: str) -> list[FaqVersion]:
        return list(self.versions.get(entry_id, []))

    def version(self, entry_id: str, version: int) -> FaqVersion | None:
        return next((v for v in self.history(entry_id) if v.version == version), None)

    def write(self, changes: Sequence[Change], at: datetime,
              check: Callable[[Sequence[FaqEntry]], None]) -> list[FaqVersion]:
        check([v.entry for v in self.all_latest() if not v.removed])
        for change in changes:
            latest = self.latest(change.entry.id)
            if (latest.version if latest else 0) != change.base:
                assert latest is not None
                raise EditConflict(change.entry.id, change.base, latest.version,
                                   latest.author, latest.reason)
        saved = []
        for change in changes:
            version = FaqVersion(change.entry, change.base + 1, change.removed, change.author,
                                 change.reason, at)
            self.versions.setdefault(change.entry.id, []).append(version)
            self.audit.append(AuditRecord(at, change.author, change.action, change.entry.id,
                                          change.detail))
            saved.append(version)
        return saved


@dataclass
class FakeModerators:
    """Implements `bot.moderators.Moderators` in a dict."""

    members: dict[str, Moderator] = field(default_factory=dict)

    def is_moderator(self, identity: str) -> bool:
        return identity in self.members

    def add(self, identity: str, by: str, at: datetime) -> bool:
        added = identity not in self.members
        self.members.setdefault(identity, Moderator(identity, by, at))
        return added

    def remove(self, identity: str, by: str, at: datetime) -> bool:
        return self.members.pop(identity, None) is not None

    def all(self) -> list[Moderator]:
        return [self.members[k] for k in sorted(self.members)]


@dataclass
class FakeQuestionLog:
    """Implements `bot.inbox.question_log.QuestionLog` and `bot.inbox.grouping.Inbox` in lists.

    Question ids are positions in `asked` from 1; picks are `[text, entry id, status]`.
    """

    asked: list[AskedQuestion] = field(default_factory=list)
    inbox_status: dict[int, str] = field(default_factory=dict)
    picks: list[list[str]] = field(default_factory=list)
    ratings: list[tuple[str, bool, str]] = field(default_factory=list)
    audit: list[AuditRecord] = field(default_factory=list)

    def record_question(self, question: AskedQuestion) -> None:
        self.asked.append(question)
        if question.text:
            self.inbox_status[len(self.asked)] = "open"

    def record_pick(self, text: str, entry_id: str) -> None:
        self.picks.append([text, entry_id, "open"])

    def record_rating(self, entry_id: str, helpful: bool, platform: str) -> None:
        self.ratings.append((entry_id, helpful, platform))

    def open_questions(self, limit: int) -> list[OpenQuestion]:
        ids = [i for i, status in self.inbox_status.items() if status == "open"][-limit:]
        return [OpenQuestion(i, NOW, self.asked[i - 1].text or "", self.asked[i - 1].suggestions)
                for i in reversed(ids)]

    def close_questions(self, ids: Sequence[int], status: str,
                        action: Callable[[int], AuditRecord]) -> int:
        closed = [i for i in ids if self.inbox_status.get(i) == "open"]
        self.inbox_status.update(dict.fromkeys(closed, status))
        self.audit.append(action(len(closed)))
        return len(closed)

    def open_candidates(self) -> list[Candidate]:
        open_picks = [(i, p[0], p[1]) for i, p in enumerate(self.picks, 1) if p[2] == "open"]
        counts = Counter((text, entry_id) for _, text, entry_id in open_picks)
        first = {}
        for i, text, entry_id in reversed(open_picks):
            first[text, entry_id] = i
        return sorted((Candidate(first[k], k[0], k[1], n, NOW) for k, n in counts.items()),
                      key=lambda c: (-c.count, c.id))

    def close_candidate(self, candidate: Candidate, status: str,
                        action: Callable[[int], AuditRecord],
                        question_ids: Sequence[int] = ()) -> int:
        same = [p for p in self.picks
                if p[2] == "open" and (p[0], p[1]) == (candidate.text, candidate.entry_id)]
        for p in same:
            p[2] = status
        for i in question_ids:
            if self.inbox_status.get(i) == "open":
                self.inbox_status[i] = "attached"
        self.audit.append(action(len(same)))
        return len(same)


def fake_editor(entries: Sequence[FaqEntry], moderators: Sequence[str] = ()) -> FaqEditor:
    """An FAQ editor on in-memory versions seeded with `entries`, at a fixed time."""
    roster = FakeModerators()
    for identity in moderators:
        roster.add(identity, "test", NOW)
    return FaqEditor(FakeFaqVersions.seeded(entries), roster, Renderer(templates_dir()),
                     clock=lambda: NOW)


def fake_desk(contracts: list[Contract] | None = None, names: dict[str, str] | None = None,
              vocabulary: Vocabulary | None = None) -> PersonalDesk:
    """A personal desk on in-memory links and contracts (`names`: account names), at a fixed
    time."""
    return PersonalDesk(FakeLinks(), FakeContracts(contracts or [], names or {}),
                        clock=lambda: NOW, vocabulary=vocabulary)


def fake_assistant(pack: KnowledgePack, thresholds: Thresholds | None = None,
                   desk: PersonalDesk | None = None) -> Assistant:
    """An assistant on the real pack and matcher, with in-memory stores."""
    store = FakeFaqStore()
    store.sync(pack.entries)
    entries = store.all_entries()
    editor = fake_editor(entries)
    questions = FakeQuestionLog()
    live = LiveFaq.fixed(Snapshot({e.id: e for e in entries}, build_matcher(entries, pack)))
    thresholds = thresholds or Thresholds()
    handoffs = FakeHandoffStore()
    return Assistant(
        handoffs=handoffs,
        faq=live,
        thresholds=thresholds,
        personal=desk or fake_desk(),
        moderation=FaqDesk(editor),
        questions=questions,
        inbox=InboxDesk(questions, editor, live, thresholds, clock=lambda: NOW),
        queue=HandoffDesk(handoffs, editor, clock=lambda: NOW),
    )
