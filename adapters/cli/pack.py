"""`forumbot faq export` and `forumbot faq import`: the FAQ to and from files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.app import App
from bot.errors import UserError
from bot.faq.knowledge_pack import dump_entry, entry_to_mapping, load_entries, write_pack
from bot.faq.pack_import import PlannedChange, apply_import, plan_import
from bot.faq.validation import checked_reason
from bot.moderators import checked_actor
from bot.resources import knowledge_dir


def export_faq(app: App, args: argparse.Namespace) -> int:
    """`forumbot faq export [--format json|yaml] [--out PATH]`."""
    entries = app.faq.all_entries()
    out: Path | None = args.out
    if args.format == "json":
        text = json.dumps([entry_to_mapping(e) | {"alternates": list(e.alternates)}
                           for e in entries], ensure_ascii=False, indent=2) + "\n"
        if out is None:
            sys.stdout.write(text)
        else:
            _write_json(out, text)
            print(f"wrote {len(entries)} entries to {out} (JSON)", file=sys.stderr)
        return 0
    if out is None:
        sys.stdout.write("---\n".join(dump_entry(e) for e in entries))
        return 0
    if out.exists() and not out.is_dir():
        raise UserError(f"cannot write the pack to {out}: it is a file, and --format yaml "
                        "--out needs a folder")
    try:
        done = write_pack(entries, app.settings.knowledge_dir or knowledge_dir(), out)
    except OSError as exc:
        raise UserError(f"cannot write the pack to {out}: {_reason(exc, out)}") from None
    print(f"wrote {done.written} entries to {out / 'entries'}", file=sys.stderr)
    for name in done.removed:
        print(f"removed {name}: not a live entry in the database", file=sys.stderr)
    for name in done.copied:
        print(f"copied {name} from the pack in use", file=sys.stderr)
    return 0


def _write_json(out: Path, text: str) -> None:
    """Write the JSON export to a file, or say plainly why it cannot be written."""
    if out.is_dir():
        raise UserError(f"cannot write {out}: it is a folder, and --format json --out needs "
                        "a file")
    if not out.parent.is_dir():
        raise UserError(f"cannot write {out}: there is no folder {out.parent}")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {out}: {_reason(exc, out)}") from None


def _reason(exc: OSError, given: Path) -> str:
    """An OS error's reason, naming the path it is about when that is not the one given."""
    where = f" ({exc.filename})" if exc.filename and exc.filename != str(given) else ""
    return f"{exc.strerror or exc}{where}"


def import_pack(app: App, args: argparse.Namespace) -> int:
    """`forumbot faq import DIR [--dry-run] --as WHO [--reason R]`: the diff, then the change.

    The name and the reason are checked before anything is printed or read.
    """
    if args.actor is None and not args.dry_run:
        raise UserError("say who imports with --as WHO (or look first with --dry-run)")
    actor = None if args.actor is None else checked_actor(args.actor)
    reason = checked_reason(args.reason)
    planned = plan_import(app.editor, load_entries(args.dir))
    for change in planned:
        sys.stdout.write(_shown_change(change))
    counts = {a: sum(c.action == a for c in planned) for a in ("add", "edit", "restore")}
    summary = f"{counts['add']} to add, {counts['edit']} to change, {counts['restore']} to restore"
    if args.dry_run or not planned:
        print(f"dry run: {summary}; nothing changed" if args.dry_run else "nothing to import")
        return 0
    assert actor is not None  # refused above unless a dry run
    applied = apply_import(app.editor, actor, reason, planned)
    app.assistant.faq.refresh()
    print(f"imported {_entries(len(applied))}: {summary}")
    return 0


def _shown_change(change: PlannedChange) -> str:
    """A planned change as printed: its diff, after a line naming a removed entry to restore."""
    if change.action != "restore":
        return change.diff
    how = "changed as below" if change.diff else "same content"
    return f"restore {change.entry.id} (removed in the database; {how})\n{change.diff}"


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"
