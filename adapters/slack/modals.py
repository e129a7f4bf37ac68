"""The moderators' modals as Block Kit views, and the values read back from a submission.

Pure functions: a view for an entry form, the entry picker, the inbox's attach and create
forms, a result; a submission's values; which field an error from the editing service
belongs on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from adapters.slack.blocks import cut
from bot.faq.entries import FaqEntry

ADD = "faq_add"
EDIT = "faq_edit"
PICKER = "faq_admin"
PICK_ENTRY = "faq_admin_pick"
INBOX_ATTACH = "inbox_attach"
INBOX_CREATE = "inbox_create"
NEW_ENTRY = "__new__"
MAX_OPTIONS = 100  # Slack's limit for one select
FIELD_ERROR_LIMIT = 300  # characters of an error shown under a field

View = dict[str, Any]


def _text(value: str, limit: int = 24) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(value, limit), "emoji": True}


def _input(block_id: str, label: str, *, initial: str = "", multiline: bool = False,
           optional: bool = False, hint: str = "", max_length: int = 3000) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value",
                               "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = initial[:max_length]
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "optional": optional,
                             "label": _text(label, 2000), "element": element}
    if hint:
        block["hint"] = _text(hint, 2000)
    return block


def _select(block_id: str, label: str, options: Iterable[tuple[str, str]], *,
            action_id: str = "value", dispatch: bool = False) -> dict[str, Any]:
    element = {"type": "static_select", "action_id": action_id,
               "placeholder": _text("Choose", 150),
               "options": [{"text": _text(label_, 75), "value": value[:150]}
                           for value, label_ in list(options)[:MAX_OPTIONS]]}
    return {"type": "input", "block_id": block_id, "label": _text(label, 2000),
            "dispatch_action": dispatch, "element": element}


def _modal(callback_id: str, title: str, blocks: list[dict[str, Any]], *,
           submit: str | None = "Save", metadata: Mapping[str, object] | None = None) -> View:
    view: View = {"type": "modal", "callback_id": callback_id, "title": _text(title),
                  "close": _text("Cancel"), "blocks": blocks}
    if submit is not None:
        view["submit"] = _text(submit)
    if metadata is not None:
        view["private_metadata"] = json.dumps(dict(metadata), separators=(",", ":"))
    return view


def entry_form(entry: FaqEntry | None = None, version: int = 0,
               phrasings: Iterable[str] = ()) -> View:
    """The add form (no entry; `phrasings` prefilled) or the edit form of an entry at
    `version`, which the submission is checked against."""
    lines = "\n".join(entry.alternates if entry is not None else phrasings)
    blocks = [] if entry is not None else [
        _input("id", "Id", hint="lowercase words joined by dashes, like late-fees",
               max_length=64)]
    blocks += [
        _input("title", "Title", initial=entry.title if entry else "", max_length=200),
        _input("answer", "Answer (Markdown)", initial=entry.answer if entry else "",
               multiline=True),
        _input("phrasings", "Phrasings, one per line", initial=lines, multiline=True,
               optional=True, hint="the ways members ask it"),
        _input("tags", "Tags", initial=", ".join(entry.tags) if entry else "", optional=True,
               hint="separated by commas", max_length=500),
        _input("reason", "Reason", hint="why, in one line, for the history", max_length=300),
    ]
    if entry is None:
        return _modal(ADD, "Add an FAQ entry", blocks)
    return _modal(EDIT, "Edit an FAQ entry", blocks,
                  metadata={"id": entry.id, "base": version})


def picker(entries: Iterable[FaqEntry]) -> View:
    """`/faq-admin`: pick an entry to edit, or a new one."""
    options = [(NEW_ENTRY, "New entry")] + [(e.id, f"{e.title} ({e.id})") for e in entries]
    return _modal(PICKER, "FAQ entries", [
        _select("entry", "Add an entry, or pick one to edit", options, action_id=PICK_ENTRY,
                dispatch=True)], submit=None)


def attach_form(number: int, entries: Iterable[FaqEntry]) -> View:
    """Attach an inbox group's wordings to an entry."""
    return _modal(INBOX_ATTACH, "Attach to an entry", [
        _select("entry", f"Add group #{number}'s wordings to", ((e.id, f"{e.title} ({e.id})")
                                                               for e in entries)),
        _input("reason", "Reason", optional=True, max_length=300),
    ], submit="Attach", metadata={"number": number})


def create_form(number: int) -> View:
    """A new entry from an inbox group's wordings."""
    return _modal(INBOX_CREATE, "New entry from group", [
        _input("id", "Id", hint="lowercase words joined by dashes, like late-fees",
               max_length=64),
        _input("title", "Title", max_length=200),
        _input("answer", "Answer (Markdown)", multiline=True),
        _input("tags", "Tags", optional=True, hint="separated by commas", max_length=500),
        _input("reason", "Reason", optional=True, max_length=300),
    ], submit="Create", metadata={"number": number})


def result(title: str, text: str) -> View:
    """A modal that shows what a submission did."""
    return _modal("faq_result", title, [{"type": "section", "text": {
        "type": "mrkdwn", "text": cut(text), "verbatim": True}}], submit=None)


def values(view: Mapping[str, Any]) -> dict[str, str]:
    """A submitted view's values by block id: typed text, or a select's chosen value."""
    found: dict[str, str] = {}
    state = view.get("state")
    blocks = state.get("values") if isinstance(state, dict) else None
    if not isinstance(blocks, dict):
        return found
    for block_id, actions in blocks.items():
        if not isinstance(actions, dict):
            continue
        for action in actions.values():
            if not isinstance(action, dict):
                continue
            chosen = action.get("selected_option") or {}
            value = action.get("value") if action.get("type") != "static_select" else (
                chosen.get("value") if isinstance(chosen, dict) else None)
            if isinstance(value, str):
                found[str(block_id)] = value
    return found


def metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    """A view's private metadata, or nothing when it is not ours."""
    try:
        loaded = json.loads(str(view.get("private_metadata") or "{}"))
    except (ValueError, RecursionError):  # RecursionError: arrays nested a thousand deep
        return {}
    return loaded if isinstance(loaded, dict) else {}


def lines(text: str) -> tuple[str, ...]:
    """Non-empty lines, stripped."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def tags(text: str) -> tuple[str, ...]:
    """Tags typed separated by commas (or new lines)."""
    return tuple(t.strip() for t in text.replace("\n", ",").split(",") if t.strip())


_FIELD_WORDS = (("reason", ("reason",)), ("phrasings", ("phrasing",)), ("tags", ("tag",)),
                ("id", ("the id", " id ")), ("title", ("title",)), ("entry", ("no entry",)))


def field_of(message: str, fields: Iterable[str]) -> str:
    """The form field an error from the editing service is about (the answer by default)."""
    present = set(fields)
    lowered = f" {message.lower()} "
    for field, words in _FIELD_WORDS:
        if field in present and any(w in lowered for w in words):
            return field
    return "answer" if "answer" in present else next(iter(sorted(present)), "reason")


def field_error(message: str) -> str:
    """An error message cut to what Slack shows under a field."""
    return cut(message, FIELD_ERROR_LIMIT)
