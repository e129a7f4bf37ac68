"""FAQ versions: what one change writes, the store port that keeps every version, and diffs."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.faq.entries import FaqEntry
from bot.faq.knowledge_pack import dump_entry


@dataclass(frozen=True)
class FaqVersion:
    """One version of an entry: its whole content, whether it was removed, who, when and why."""

    entry: FaqEntry
    version: int
    removed: bool
    author: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class Change:
    """One change to write as the next version after `base` (0: a new entry).

    `action` and `detail` go to the audit log in the same transaction.
    """

    entry: FaqEntry
    removed: bool
    base: int
    author: str
    reason: str
    action: str
    detail: str


class FaqVersions(Protocol):
    """The port for versioned FAQ writes and history; `bot.storage` implements it."""

    def latest(self, entry_id: str) -> FaqVersion | None:
        """The newest version of an entry, removed or not; None if it never existed."""
        ...

    def all_latest(self) -> list[FaqVersion]:
        """The newest version of every entry, removed ones included, ordered by id."""
        ...

    def history(self, entry_id: str) -> list[FaqVersion]:
        """Every version of an entry, oldest first."""
        ...

    def version(self, entry_id: str, version: int) -> FaqVersion | None:
        """One version of an entry, or None."""
        ...

    def write(self, changes: Sequence[Change], at: datetime,
              check: Callable[[Sequence[FaqEntry]], None]) -> list[FaqVersion]:
        """Save each change as version `base + 1` of its entry, with its audit entry, all in
        one transaction: all are saved or none.

        FAQ writes take turns: `check` runs first, given the live entries as no other write
        can change them before this one ends; whatever it raises refuses every change.
        Raises `EditConflict` naming the newest version when a `base` is no longer the newest.
        """
        ...


def _version_text(version: FaqVersion) -> str:
    """A version as the pack's YAML, plus `removed: true` when it was removed."""
    return dump_entry(version.entry) + ("removed: true\n" if version.removed else "")


def diff_versions(old: FaqVersion, new: FaqVersion) -> list[str]:
    """A unified diff of two versions' pack-style YAML, line by line."""
    entry_id = old.entry.id
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            _version_text(old).splitlines(keepends=True),
            _version_text(new).splitlines(keepends=True),
            fromfile=f"{entry_id} version {old.version}",
            tofile=f"{entry_id} version {new.version}",
        )
    ]
