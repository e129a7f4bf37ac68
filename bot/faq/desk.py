"""The moderators' desk: a parsed `faq ...` command carried out and answered as data."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import BadUsage
from bot.faq.commands import FaqRequest, parse_chat
from bot.faq.editing import FaqEditor
from bot.faq.entries import FaqEntry
from bot.faq.history import FaqVersion
from bot.messages import Incoming, Reply

# Reasons recorded when a moderator gives none (add, edit and remove require one).
DEFAULT_REASONS = {"alias": "added a phrasing", "unalias": "removed a phrasing",
                   "restore": "restored", "revert": "reverted to version {version}"}


def _listed(version: FaqVersion) -> dict[str, object]:
    e = version.entry
    return {"id": e.id, "title": e.title, "kind": e.kind, "version": version.version,
            "removed": version.removed}


@dataclass
class FaqDesk:
    """Carries out moderators' commands from chat and from the command line."""

    editor: FaqEditor

    def is_moderator(self, message: Incoming) -> bool:
        """Whether the sender may use the moderator commands."""
        return self.editor.is_moderator(message.user, message.moderator)

    def chat(self, message: Incoming) -> Reply:
        """A `faq ...` moderator command typed in chat; others are refused before parsing."""
        self.editor.require_moderator(message.user, message.moderator)
        request = parse_chat(message.text, message.body)
        return self.handle(request, message.user, granted=message.moderator)

    def handle(self, request: FaqRequest, actor: str, *, granted: bool) -> Reply:
        """Carry out one request as `actor`; refused unless the actor is a moderator."""
        editor, entry_id = self.editor, request.entry_id
        editor.require_moderator(actor, granted)
        if request.command == "history":
            versions = editor.history(entry_id)
            return Reply("faq_history", {"entry_id": entry_id, "versions": [
                {"version": v.version, "at": v.at.isoformat(), "author": v.author,
                 "reason": v.reason, "removed": v.removed} for v in reversed(versions)]})
        if request.command == "diff":
            old, new = request.versions
            return Reply("faq_diff", {"entry_id": entry_id, "old": old, "new": new,
                                      "lines": editor.diff(entry_id, old, new)})
        if request.command == "search":
            return Reply("faq_search", {"query": request.query, "entries": [
                _listed(v) for v in editor.search(request.query)]})
        version = self._change(request, actor, granted)
        return Reply("faq_saved", {"action": request.command, "entry_id": entry_id,
                                   "version": version, "versions": list(request.versions)})

    def _change(self, request: FaqRequest, actor: str, granted: bool) -> int:
        editor, entry_id, base = self.editor, request.entry_id, request.base
        command = request.command
        reason = request.reason or DEFAULT_REASONS.get(command, "").format(
            version=request.versions[0] if request.versions else "")
        if command == "add":
            c = request.changes
            if c.title is None or c.answer is None:
                raise BadUsage("`faq add` needs --title and --answer.")
            entry = FaqEntry(entry_id, c.title, c.kind or "faq", c.answer,
                             c.alternates or (), c.tags or ())
            return editor.add(actor, entry, reason, granted=granted)
        if command == "edit":
            return editor.edit(actor, entry_id, request.changes, reason, base=base,
                               granted=granted)
        if command == "alias":
            return editor.add_phrasings(actor, entry_id, [request.phrase], reason, base=base,
                                        granted=granted)
        if command == "unalias":
            return editor.remove_phrasing(actor, entry_id, request.phrase, reason, base=base,
                                          granted=granted)
        if command == "remove":
            return editor.remove(actor, entry_id, reason, base=base, granted=granted)
        if command == "restore":
            return editor.restore(actor, entry_id, reason, base=base, granted=granted)
        if command == "revert":
            return editor.revert(actor, entry_id, request.versions[0], reason, base=base,
                                 granted=granted)
        raise AssertionError(f"unhandled faq command {command}")
