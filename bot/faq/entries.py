"""FAQ entries, the store port that holds them, and the knowledge-sync plan."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

KINDS = ("faq", "personal", "meta")
# The topics answered from a linked member's own contracts (by the personal desk).
PERSONAL_TOPICS = frozenset({"my-milestone-status", "my-contracts"})


@dataclass(frozen=True)
class FaqEntry:
    """One curated answer and the ways members ask for it."""

    id: str
    title: str
    kind: str
    answer: str
    alternates: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def content_hash(self) -> str:
        """A stable fingerprint of everything a member or the matcher sees."""
        payload = json.dumps(
            [self.title, self.kind, self.answer, list(self.alternates), list(self.tags)],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    """An entry as the database holds it, with the hash of what the pack last seeded."""

    entry: FaqEntry
    seeded_hash: str | None
    removed: bool = False


@dataclass(frozen=True)
class SyncReport:
    """What `knowledge sync` did (or, for a plan, will do)."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = field(default=())
    only_in_database: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the sync writes anything."""
        return bool(self.created or self.updated)


class FaqStore(Protocol):
    """The port the core reads FAQ entries through; `bot.storage` implements it."""

    def all_entries(self) -> list[FaqEntry]:
        """Every entry, ordered by id."""
        ...

    def get(self, entry_id: str) -> FaqEntry | None:
        """One entry, or None."""
        ...

    def sync(self, pack: Sequence[FaqEntry]) -> SyncReport:
        """Seed the pack's entries in one transaction, as `plan_sync` decides."""
        ...


def plan_sync(pack: Sequence[FaqEntry], stored: Mapping[str, StoredEntry]) -> SyncReport:
    """Decide, per pack entry, whether seeding creates, updates, skips or must not touch it.

    An entry whose database content differs from what the pack last seeded was changed by a
    moderator: it is never overwritten, only reported as a conflict (unless the pack now says
    the same thing, which is no conflict). So is an entry a moderator removed, when the pack
    says something else now.
    """
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    conflicts: list[str] = []
    for entry in pack:
        current = stored.get(entry.id)
        if current is None:
            created.append(entry.id)
            continue
        db_hash = current.entry.content_hash()
        pack_hash = entry.content_hash()
        if current.removed:  # a moderator took it out: the pack does not bring it back
            (unchanged if db_hash == pack_hash else conflicts).append(entry.id)
        elif db_hash == pack_hash:
            if current.seeded_hash != pack_hash:
                updated.append(entry.id)  # same content: only the seed mark moves
            else:
                unchanged.append(entry.id)
        elif current.seeded_hash is not None and db_hash == current.seeded_hash:
            updated.append(entry.id)
        else:
            conflicts.append(entry.id)
    pack_ids = {e.id for e in pack}
    only_db = sorted(set(stored) - pack_ids)
    return SyncReport(
        created=tuple(created),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        conflicts=tuple(conflicts),
        only_in_database=tuple(only_db),
    )
