"""The knowledge pack on disk: one YAML file per entry, validated on load, and written back."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import KnowledgeError
from bot.faq.entries import KINDS, FaqEntry
from bot.faq.matching import IndexEntry
from bot.faq.vocabulary import Vocabulary, vocabulary_from_mapping
from bot.text import hidden_character

ENTRY_KEYS = ("id", "title", "kind", "tags", "alternates", "answer")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
MAX_TITLE = 200
MAX_ANSWER = 1800  # leaves room for the reply's frame inside Discord's 2,000 characters
MAX_PHRASE = 500
OUT_OF_SCOPE_PREFIX = "out-of-scope:"


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when built with it


@dataclass(frozen=True)
class KnowledgePack:
    """Everything the pack folder holds."""

    entries: tuple[FaqEntry, ...]
    vocabulary: Vocabulary
    out_of_scope: tuple[IndexEntry, ...]


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except UnicodeDecodeError:
        raise KnowledgeError(str(path), "is not UTF-8 text") from None
    except OSError as exc:
        raise KnowledgeError(str(path), f"cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise KnowledgeError(str(path), f"bad YAML: {exc}".replace("\n", " ")) from None


def _strings(value: object, field: str, source: str, *, limit: int) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise KnowledgeError(source, f"{field} must be a list of strings")
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise KnowledgeError(source, f"{field}[{i}] must be a non-empty string")
        if len(item) > limit:
            raise KnowledgeError(source, f"{field}[{i}] is longer than {limit} characters")
        out.append(item.strip())
    return tuple(out)


def entry_from_mapping(data: object, source: str) -> FaqEntry:
    """Validate one entry's fields; errors name the source and the field."""
    if not isinstance(data, dict):
        raise KnowledgeError(source, "must be a mapping with keys " + ", ".join(ENTRY_KEYS))
    missing = [k for k in ENTRY_KEYS if k not in data]
    if missing:
        raise KnowledgeError(source, f"missing {', '.join(missing)}")
    unknown = sorted(set(data) - set(ENTRY_KEYS))
    if unknown:
        raise KnowledgeError(source, f"unknown keys {', '.join(map(str, unknown))}")
    entry_id = data["id"]
    if not isinstance(entry_id, str) or not ID_PATTERN.match(entry_id):
        raise KnowledgeError(
            source, f"id {entry_id!r} must be 3-64 lowercase letters, digits and dashes"
        )
    title, kind, answer = data["title"], data["kind"], data["answer"]
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        raise KnowledgeError(source, f"title must be 1-{MAX_TITLE} characters")
    if kind not in KINDS:
        raise KnowledgeError(source, f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if not isinstance(answer, str) or not answer.strip():
        raise KnowledgeError(source, "answer must be non-empty text")
    if len(answer) > MAX_ANSWER:
        raise KnowledgeError(
            source, f"answer is {len(answer)} characters; the limit is {MAX_ANSWER}"
        )
    entry = FaqEntry(
        id=entry_id,
        title=title.strip(),
        kind=kind,
        answer=answer.strip(),
        alternates=_strings(data["alternates"], "alternates", source, limit=MAX_PHRASE),
        tags=_strings(data["tags"], "tags", source, limit=40),
    )
    for field, value in (("title", entry.title), ("answer", entry.answer),
                         *(("alternates", p) for p in entry.alternates),
                         *(("tags", t) for t in entry.tags)):
        hidden = hidden_character(value)
        if hidden is not None:
            raise KnowledgeError(source, f"{field} holds an invisible or direction-changing "
                                 f"character (U+{ord(hidden):04X})")
    return entry


def load_entries(folder: Path) -> tuple[FaqEntry, ...]:
    """Every `*.yaml` under `folder/entries`, validated; ids unique and equal to file names."""
    entries_dir = folder / "entries"
    if not entries_dir.is_dir():
        raise KnowledgeError(str(entries_dir), "is not a folder")
    seen: dict[str, Path] = {}
    entries: list[FaqEntry] = []
    for path in sorted(entries_dir.glob("*.yaml")):
        entry = entry_from_mapping(_read_yaml(path), str(path))
        if entry.id in seen:
            raise KnowledgeError(str(path), f"duplicate id {entry.id!r} (also in {seen[entry.id]})")
        if path.stem != entry.id:
            raise KnowledgeError(str(path), f"id {entry.id!r} does not match the file name")
        seen[entry.id] = path
        entries.append(entry)
    if not entries:
        raise KnowledgeError(str(entries_dir), "holds no entries (*.yaml)")
    return tuple(entries)


def load_vocabulary(folder: Path) -> Vocabulary:
    """The synonyms file, or an empty vocabulary when the pack has none."""
    path = folder / "vocabulary.yaml"
    if not path.exists():
        return Vocabulary()
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise KnowledgeError(str(path), "must be a mapping with synonyms and related")
    return vocabulary_from_mapping(data, str(path))


def load_out_of_scope(folder: Path) -> tuple[IndexEntry, ...]:
    """Subjects the assistant must decline, with example phrasings (never answered)."""
    path = folder / "out-of-scope.yaml"
    if not path.exists():
        return ()
    data = _read_yaml(path)
    subjects = data.get("subjects") if isinstance(data, dict) else None
    if not isinstance(subjects, dict):
        raise KnowledgeError(str(path), "must have a mapping 'subjects' of name to phrasings")
    return tuple(
        IndexEntry(
            entry_id=OUT_OF_SCOPE_PREFIX + str(name),
            phrasings=_strings(phrasings, f"subjects.{name}", str(path), limit=MAX_PHRASE),
            in_scope=False,
        )
        for name, phrasings in subjects.items()
    )


def load_pack(folder: Path) -> KnowledgePack:
    """The whole pack folder, validated."""
    return KnowledgePack(load_entries(folder), load_vocabulary(folder), load_out_of_scope(folder))


class _PackDumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_PackDumper.add_representer(str, _str_presenter)


def entry_to_mapping(entry: FaqEntry) -> dict[str, Any]:
    """An entry as the pack's file holds it, keys in the pack's order."""
    return {
        "id": entry.id,
        "title": entry.title,
        "kind": entry.kind,
        "tags": list(entry.tags),
        "alternates": list(entry.alternates),
        "answer": entry.answer,
    }


def dump_entry(entry: FaqEntry) -> str:
    """The pack's own file text for an entry; stable, so an export can be committed back."""
    return yaml.dump(
        entry_to_mapping(entry),
        Dumper=_PackDumper,
        sort_keys=False,
        allow_unicode=True,
        width=1000,
        default_flow_style=False,
    )


def index_entry(entry: FaqEntry) -> IndexEntry:
    """What the matcher indexes of an FAQ entry."""
    return IndexEntry(entry.id, (entry.title, *entry.alternates), entry.tags, entry.answer)


# The pack's files besides the entries, copied as they are: the database holds only entries.
PACK_SIDE_FILES = ("vocabulary.yaml", "out-of-scope.yaml")


@dataclass(frozen=True)
class PackWrite:
    """What writing a pack folder did."""

    written: int
    removed: tuple[str, ...]
    copied: tuple[str, ...]


def write_pack(entries: Sequence[FaqEntry], source: Path, out: Path) -> PackWrite:
    """Write `out` as a complete pack: one file per entry, and `source`'s vocabulary files.

    Entry files in `out/entries` that are not among `entries` (removed in the database) are
    deleted, so that the folder says exactly what the database says.
    """
    folder = out / "entries"
    folder.mkdir(parents=True, exist_ok=True)
    keep = {f"{e.id}.yaml" for e in entries}
    for entry in entries:
        (folder / f"{entry.id}.yaml").write_text(dump_entry(entry), encoding="utf-8")
    removed = tuple(sorted(p.name for p in folder.glob("*.yaml") if p.name not in keep))
    for name in removed:
        (folder / name).unlink()
    copied = []
    for name in PACK_SIDE_FILES:
        if (source / name).exists() and (source / name).resolve() != (out / name).resolve():
            shutil.copyfile(source / name, out / name)
            copied.append(name)
    return PackWrite(len(entries), removed, tuple(copied))
