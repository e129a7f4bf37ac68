"""In-memory fakes of the core's ports, for unit tests that need no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.app import build_matcher
from bot.assistant import Assistant
from bot.faq import FaqEntry, StoredEntry, SyncReport, plan_sync
from bot.handoff import Handoff
from bot.knowledge_pack import KnowledgePack
from bot.policy import Thresholds


@dataclass
class FakeFaqStore:
    """Implements `bot.faq.FaqStore` in a dict."""

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

    def offer(self, user: str, platform: str, channel_private: bool, question: str) -> None:
        self.items = [
            Handoff(h.id, h.user, h.platform, h.channel_private, h.question, "lapsed", h.created_at)
            if h.user == user and h.status == "offered" else h
            for h in self.items
        ]
        self.items.append(Handoff(len(self.items) + 1, user, platform, channel_private, question,
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

    def queued(self) -> list[Handoff]:
        return [h for h in self.items if h.status == "queued"]


def fake_assistant(pack: KnowledgePack, thresholds: Thresholds | None = None) -> Assistant:
    """An assistant on the real pack and matcher, with in-memory stores."""
    store = FakeFaqStore()
    store.sync(pack.entries)
    entries = store.all_entries()
    return Assistant(
        handoffs=FakeHandoffStore(),
        matcher=build_matcher(entries, pack),
        thresholds=thresholds or Thresholds(),
        entries={e.id: e for e in entries},
    )
