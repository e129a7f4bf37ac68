"""The checks an FAQ change passes before it is saved: fields, rendering, length, phrasings.

Limits: the rendered answer must fit one Discord message (2,000 characters) and one Slack
section block (3,000 characters; a Slack message could hold 40,000, but the adapters send an
answer as one section). The raw answer is held to the pack's 1,800 characters first.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable

from bot.errors import InvalidEntry, KnowledgeError
from bot.faq.entries import FaqEntry
from bot.faq.knowledge_pack import entry_from_mapping, entry_to_mapping
from bot.messages import Reply
from bot.rendering import FLAVORS, Renderer
from bot.text import ZERO_WIDTH_JOINER, one_line, phrasing_key
from bot.text import one_line as text_one_line

RENDERED_LIMITS = {"slack": 3000, "discord": 2000}
MAX_REASON = 300
MAX_PHRASINGS = 300  # per entry: far more than members' ways of asking need
# Mentions that would notify a whole channel or a person when the answer is posted.
_MENTION = re.compile(r"@(?:everyone|here|channel)\b|<!(?:channel|here|everyone)\b|<@[!&]?\w+>"
                      r"|<!subteam\^[^>]*>", re.IGNORECASE)


def answer_reply(entry: FaqEntry) -> Reply:
    """The reply an entry is answered with."""
    return Reply("answer", {"entry": {"id": entry.id, "title": entry.title,
                                      "answer": entry.answer, "kind": entry.kind}})


def _printable(text: str) -> str:
    """Without control characters (terminal escapes reach the console), lone surrogates,
    zero-width or direction-changing characters (U+202E); new lines and the emoji joiner kept."""
    return "".join(ch for ch in text if ch in "\n\t" or ch == ZERO_WIDTH_JOINER or (
        unicodedata.category(ch) not in ("Cc", "Cs", "Cf")))


def checked_entry(entry: FaqEntry) -> FaqEntry:
    """The entry with its fields checked and trimmed as the pack checks a file: title,
    phrasings and tags are single lines of visible text; the answer keeps its lines."""
    entry = dataclasses.replace(
        entry, title=one_line(entry.title), answer=_printable(entry.answer),
        alternates=tuple(one_line(p) for p in entry.alternates),
        tags=tuple(dict.fromkeys(one_line(t) for t in entry.tags)))
    if len(entry.alternates) > MAX_PHRASINGS:
        raise InvalidEntry(f"Not saved: {len(entry.alternates)} phrasings; the limit is "
                           f"{MAX_PHRASINGS}.")
    mention = _MENTION.search(" ".join((entry.title, entry.answer)))
    if mention:
        raise InvalidEntry(f"Not saved: {mention.group()!r} would notify people wherever the "
                           "answer is posted; write it without the mention.")
    try:
        return entry_from_mapping(entry_to_mapping(entry), f"entry {entry.id!r}")
    except KnowledgeError as exc:
        raise InvalidEntry(f"Not saved: {exc.message}.") from None


def check_renders(entry: FaqEntry, renderer: Renderer) -> None:
    """The answer renders in every flavor, within each platform's message limit."""
    reply = answer_reply(entry)
    for flavor in FLAVORS:
        try:
            text = renderer.render(reply, flavor)
        except Exception as exc:  # a template error is the answer's fault here
            raise InvalidEntry(
                f"Not saved: the answer of `{entry.id}` does not render for {flavor}: {exc}."
            ) from None
        limit = RENDERED_LIMITS.get(flavor)
        if limit is not None and len(text) > limit:
            raise InvalidEntry(
                f"Not saved: the answer of `{entry.id}` is {len(text)} characters as a "
                f"{flavor} message; the limit is {limit}."
            )


def check_phrasings(entry: FaqEntry, before: FaqEntry | None,
                    others: Iterable[FaqEntry]) -> None:
    """New phrasings are not repeated, and belong to no other live entry (title or phrasing)."""
    old = {phrasing_key(p) for p in ((before.title, *before.alternates) if before else ())}
    seen: set[str] = set()
    for phrase in entry.alternates:
        key = phrasing_key(phrase)
        if key in seen:
            raise InvalidEntry(f"Not saved: the phrasing {phrase!r} is there twice.")
        seen.add(key)
    owners = {phrasing_key(p): other.id for other in others if other.id != entry.id
              for p in (other.title, *other.alternates)}
    for phrase in (entry.title, *entry.alternates):
        owner = owners.get(phrasing_key(phrase))
        if owner is not None and phrasing_key(phrase) not in old:
            raise InvalidEntry(
                f"Not saved: {phrase!r} already belongs to `{owner}`; remove it there "
                f"first (`faq unalias {owner} ...`) or pick other words."
            )


def checked_reason(reason: str) -> str:
    """A one-line reason of at most 300 characters; line breaks become spaces."""
    one_line = text_one_line(reason)
    if not one_line:
        raise InvalidEntry("Give a reason for the change (`--reason \"...\"`).")
    if len(one_line) > MAX_REASON:
        raise InvalidEntry(f"The reason is {len(one_line)} characters; keep it under "
                           f"{MAX_REASON}, on one line.")
    return one_line


def checked_content(entry: FaqEntry, renderer: Renderer) -> FaqEntry:
    """The entry's own checks (fields, rendering); the entry as it will be saved. Phrasings
    are checked against the other entries when the change is written (`check_phrasings`)."""
    entry = checked_entry(entry)
    check_renders(entry, renderer)
    return entry
