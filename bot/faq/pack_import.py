"""`faq import DIR`: a pack folder's entries applied through the editor, diff first.

Unlike `knowledge sync`, which never overwrites a moderator's change, an import is a
moderator's own change: each differing entry becomes a new version by the importer, so the
history keeps what it replaced.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import NotFound
from bot.faq.editing import FaqEditor
from bot.faq.entries import FaqEntry
from bot.faq.knowledge_pack import dump_entry


@dataclass(frozen=True)
class PlannedChange:
    """One entry the import adds, changes or restores, with its diff against the database."""

    entry: FaqEntry
    action: str  # add | edit | restore
    base: int  # the version the diff was taken against (0 for a new entry)
    diff: str


def plan_import(editor: FaqEditor, entries: Sequence[FaqEntry]) -> list[PlannedChange]:
    """What importing `entries` would change; unchanged entries are left out."""
    planned = []
    for entry in entries:
        try:
            current = editor.current(entry.id)
        except NotFound:
            planned.append(PlannedChange(entry, "add", 0, _diff(None, entry, 0)))
            continue
        if current.entry == entry and not current.removed:
            continue
        action = "restore" if current.removed else "edit"
        planned.append(PlannedChange(entry, action, current.version,
                                     _diff(current.entry, entry, current.version)))
    return planned


def apply_import(editor: FaqEditor, actor: str, reason: str,
                 planned: Sequence[PlannedChange]) -> list[str]:
    """Apply a plan all at once, each entry as one new version: an entry that fails its checks
    or changed since the plan refuses the whole import."""
    editor.import_entries(actor, [(c.entry, c.base) for c in planned], reason, granted=True)
    return [c.entry.id for c in planned]


def _diff(old: FaqEntry | None, new: FaqEntry, version: int) -> str:
    before = dump_entry(old).splitlines(keepends=True) if old else []
    after = dump_entry(new).splitlines(keepends=True)
    source = f"database/{new.id} (version {version})" if old else "/dev/null"
    return "".join(difflib.unified_diff(before, after, source, f"pack/{new.id}.yaml"))
