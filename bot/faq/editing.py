"""Moderators editing the FAQ: every change checked, validated and saved as a new version.

Nothing is overwritten: each change is the next version, with author, time and reason, and
is refused when it is based on a version that is no longer the newest. Every change method
returns the new version number. `granted` says a platform role (a Slack user group, a
Discord role, the operator's command line) already made the actor a moderator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.errors import EditConflict, InvalidEntry, NotFound
from bot.faq.entries import FaqEntry
from bot.faq.history import Change, FaqVersion, FaqVersions, diff_versions
from bot.faq.validation import check_phrasings, checked_content, checked_reason
from bot.moderators import Moderators, require_moderator
from bot.rendering import Renderer
from bot.text import one_line, phrasing_key


@dataclass(frozen=True)
class EntryChanges:
    """The fields an edit sets; None keeps a field (phrasings and tags are replaced whole)."""

    title: str | None = None
    answer: str | None = None
    kind: str | None = None
    alternates: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None

    def names(self) -> list[str]:
        """The fields this edit sets."""
        return [f.name for f in dataclasses.fields(self) if getattr(self, f.name) is not None]

    def applied(self, entry: FaqEntry) -> FaqEntry:
        """The entry with these fields set."""
        return dataclasses.replace(entry, **{n: getattr(self, n) for n in self.names()})


def _quoted(phrases: Sequence[str]) -> str:
    return ", ".join(repr(p) for p in phrases)


@dataclass
class FaqEditor:
    """The FAQ editing operations; `on_change` runs after every saved change."""

    versions: FaqVersions
    moderators: Moderators
    renderer: Renderer
    clock: Callable[[], datetime]
    on_change: Callable[[], None] = lambda: None

    def is_moderator(self, actor: str, granted: bool = False) -> bool:
        """Whether the actor may edit."""
        return granted or self.moderators.is_moderator(actor)

    def require_moderator(self, actor: str, granted: bool = False) -> None:
        """Raise `NotAllowed` unless the actor may edit."""
        require_moderator(self.moderators, actor, granted)

    def add(self, actor: str, entry: FaqEntry, reason: str, *, granted: bool = False) -> int:
        """A new entry, as version 1; its id must never have been used."""
        self.require_moderator(actor, granted)
        existing = self.versions.latest(entry.id)
        if existing is not None:
            how = "removed: `faq restore` brings it back" if existing.removed else "in use"
            raise InvalidEntry(f"Not saved: the id `{entry.id}` is taken ({how}).")
        return self._save(actor, None, entry, False, reason, "faq add", f"added {entry.title!r}")

    def edit(self, actor: str, entry_id: str, changes: EntryChanges, reason: str, *,
             base: int | None = None, granted: bool = False) -> int:
        """Set some fields of a live entry."""
        self.require_moderator(actor, granted)
        if not changes.names():
            raise InvalidEntry("Nothing to change: give --title, --answer, --kind, "
                               "--alternate or --tag.")
        current = self._live(entry_id, base)
        return self._save(actor, current, changes.applied(current.entry), False, reason,
                          "faq edit", "changed " + ", ".join(changes.names()))

    def add_phrasings(self, actor: str, entry_id: str, phrases: Sequence[str], reason: str, *,
                      base: int | None = None, granted: bool = False) -> int:
        """Add ways members ask for a live entry; phrasings it already has are skipped."""
        self.require_moderator(actor, granted)
        current = self._live(entry_id, base)
        entry = current.entry
        known = {phrasing_key(p) for p in (entry.title, *entry.alternates)}
        given = [phrase for phrase in map(one_line, phrases) if phrase]
        if not given:
            raise InvalidEntry("Give the words members ask it with: `faq alias ID WORDS`.")
        new: list[str] = []
        for phrase in given:
            if phrasing_key(phrase) not in known:
                known.add(phrasing_key(phrase))
                new.append(phrase)
        if not new:
            raise InvalidEntry(f"Nothing to change: `{entry_id}` already has "
                               f"{_quoted(phrases) or 'no phrasing given'}.")
        changed = dataclasses.replace(entry, alternates=(*entry.alternates, *new))
        return self._save(actor, current, changed, False, reason, "faq alias",
                          f"added phrasing {_quoted(new)}")

    def remove_phrasing(self, actor: str, entry_id: str, phrase: str, reason: str, *,
                        base: int | None = None, granted: bool = False) -> int:
        """Remove one way of asking from a live entry."""
        self.require_moderator(actor, granted)
        current = self._live(entry_id, base)
        entry = current.entry
        kept = tuple(p for p in entry.alternates if phrasing_key(p) != phrasing_key(phrase))
        if len(kept) == len(entry.alternates):
            raise NotFound(f"`{entry_id}` has no phrasing {phrase!r}; "
                           f"`faq show {entry_id}` lists them.")
        return self._save(actor, current, dataclasses.replace(entry, alternates=kept), False,
                          reason, "faq unalias", f"removed phrasing {phrase!r}")

    def remove(self, actor: str, entry_id: str, reason: str, *, base: int | None = None,
               granted: bool = False) -> int:
        """Take an entry out of the answers; its history stays and `restore` brings it back."""
        self.require_moderator(actor, granted)
        current = self._live(entry_id, base)
        return self._save(actor, current, current.entry, True, reason, "faq remove", "removed")

    def restore(self, actor: str, entry_id: str, reason: str, *, base: int | None = None,
                granted: bool = False) -> int:
        """Bring a removed entry back, as it was when removed."""
        self.require_moderator(actor, granted)
        current = self._newest(entry_id, base)
        if not current.removed:
            raise InvalidEntry(f"Nothing to change: `{entry_id}` is not removed.")
        return self._save(actor, current, current.entry, False, reason, "faq restore",
                          "restored")

    def revert(self, actor: str, entry_id: str, version: int, reason: str, *,
               base: int | None = None, granted: bool = False) -> int:
        """A new version with the content (and removed state) of an old one."""
        self.require_moderator(actor, granted)
        current = self._newest(entry_id, base)
        old = self._version(entry_id, version)
        return self._save(actor, current, old.entry, old.removed, reason, "faq revert",
                          f"reverted to version {version}")

    def import_entries(self, actor: str, entries: Sequence[tuple[FaqEntry, int]], reason: str,
                       *, granted: bool = False) -> list[int]:
        """Save whole entries, each based on the version given with it (0: a new entry), as
        one change: every entry is checked against the FAQ as it will be after the import,
        and either all are saved, live, or none is. A removed entry comes back."""
        self.require_moderator(actor, granted)
        reason = checked_reason(reason)
        newest = {v.entry.id: v for v in self.versions.all_latest()}
        changes, befores = [], {}
        for entry, base in entries:
            current = newest.get(entry.id)
            if current is not None and base != current.version:
                raise EditConflict(entry.id, base, current.version, current.author,
                                   current.reason)
            befores[entry.id] = _live_entry(current)
            how = ("added" if current is None else "restored" if current.removed
                   else "changed")
            changes.append(Change(checked_content(entry, self.renderer), False, base, actor,
                                  reason, "faq import",
                                  f"version {base + 1}: {how} by an import; reason: {reason}"))

        def check(live: Sequence[FaqEntry]) -> None:
            after = {e.id: e for e in live} | {c.entry.id: c.entry for c in changes}
            for change in changes:
                check_phrasings(change.entry, befores[change.entry.id], after.values())

        saved = self.versions.write(changes, self.clock(), check) if changes else []
        self.on_change()
        return [v.version for v in saved]

    def current(self, entry_id: str) -> FaqVersion:
        """The newest version of an entry, removed or not."""
        return self._newest(entry_id, None)

    def history(self, entry_id: str) -> list[FaqVersion]:
        """Every version of an entry, oldest first."""
        self._newest(entry_id, None)
        return self.versions.history(entry_id)

    def diff(self, entry_id: str, old: int, new: int) -> list[str]:
        """A unified diff between two versions of an entry."""
        self._newest(entry_id, None)
        return diff_versions(self._version(entry_id, old), self._version(entry_id, new))

    def search(self, query: str) -> list[FaqVersion]:
        """Entries (removed ones too) whose id, title, phrasings, tags or answer hold every word."""
        words = query.casefold().split()
        if not words:
            raise InvalidEntry("Give the words to search for: `faq search WORDS`.")
        found = []
        for version in self.versions.all_latest():
            e = version.entry
            text = " ".join((e.id, e.title, *e.alternates, *e.tags, e.answer)).casefold()
            if all(w in text for w in words):
                found.append(version)
        return found

    def _newest(self, entry_id: str, base: int | None) -> FaqVersion:
        current = self.versions.latest(entry_id)
        if current is None:
            raise NotFound(f"There is no entry `{entry_id[:64]}`; `faq list` shows them.")
        if base is not None and base != current.version:
            raise EditConflict(entry_id, base, current.version, current.author, current.reason)
        return current

    def _live(self, entry_id: str, base: int | None) -> FaqVersion:
        current = self._newest(entry_id, base)
        if current.removed:
            raise InvalidEntry(f"`{entry_id}` is removed; `faq restore {entry_id}` first.")
        return current

    def _version(self, entry_id: str, version: int) -> FaqVersion:
        found = self.versions.version(entry_id, version)
        if found is None:
            raise NotFound(f"`{entry_id[:64]}` has no version {version}; "
                           f"`faq history {entry_id[:64]}` lists them.")
        return found

    def _save(self, actor: str, current: FaqVersion | None, entry: FaqEntry, removed: bool,
              reason: str, action: str, what: str) -> int:
        reason = checked_reason(reason)
        if current is not None and (entry, removed) == (current.entry, current.removed):
            raise InvalidEntry(f"Nothing to change: version {current.version} of "
                               f"`{entry.id}` already says that.")
        if not removed:
            entry = checked_content(entry, self.renderer)
        base = current.version if current is not None else 0
        before = _live_entry(current)

        def check(live: Sequence[FaqEntry]) -> None:
            if not removed:
                check_phrasings(entry, before, live)

        saved, = self.versions.write(
            [Change(entry, removed, base, actor, reason, action,
                    f"version {base + 1}: {what}; reason: {reason}")],
            self.clock(), check,
        )
        self.on_change()
        return saved.version


def _live_entry(version: FaqVersion | None) -> FaqEntry | None:
    """The entry a version holds, if it is live."""
    return version.entry if version is not None and not version.removed else None
