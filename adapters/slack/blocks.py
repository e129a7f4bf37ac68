"""Translate out: a core `Reply` as a Slack message (text rendered from `templates/slack/`,
laid out in Block Kit with the buttons that go with it).

Rendering escapes every value for Slack (`escape_slack`), so nothing a member typed can
mention anyone; section text is cut to Slack's 3,000 characters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.messages import Reply
from bot.redaction import without_codes
from bot.rendering import Renderer

SECTION_LIMIT = 3000  # characters of one section block's text
VALUE_LIMIT = 2000  # characters of one button's value
QUESTION_KEPT = 900  # characters of a question a button carries (escaped JSON stays < 2,000)

RATE_HELPFUL = "rate_helpful"
RATE_UNHELPFUL = "rate_unhelpful"
PICK = "pick"  # + the choice's number
ASK_MODERATOR = "ask_moderator"
SHARE = "share_answer"

Block = dict[str, Any]


@dataclass(frozen=True)
class SlackMessage:
    """A message ready for `chat.postMessage`: the notification text and the blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """The Web API arguments of this message."""
        return {"text": self.text, "blocks": self.blocks}


def cut(text: str, limit: int = SECTION_LIMIT) -> str:
    """Text within `limit` characters, ending with an ellipsis when it was longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def section(text: str) -> Block:
    """A section of mrkdwn, taken verbatim (no automatic links or mentions)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text or " "),
                                        "verbatim": True}}


def context(text: str) -> Block:
    """A small line of mrkdwn under a message."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text),
                                             "verbatim": True}]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    """A button; its value is cut to Slack's limit."""
    element: Block = {"type": "button", "action_id": action_id, "value": value[:VALUE_LIMIT],
                      "text": {"type": "plain_text", "text": cut(label, 75), "emoji": True}}
    if style is not None:
        element["style"] = style
    return element


def actions(*elements: Block) -> Block:
    """A row of buttons."""
    return {"type": "actions", "elements": list(elements)}


def carried(**values: str) -> str:
    """Values a button carries to its handler, as compact JSON within Slack's limit. A
    question's link codes are blanked: a button's value is part of the message, which may be
    in a channel."""
    if "q" in values:
        values["q"] = without_codes(values["q"])[:QUESTION_KEPT]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def read_carried(value: object) -> dict[str, str]:
    """The values a button carried; an empty mapping for anything malformed."""
    if not isinstance(value, str) or len(value) > VALUE_LIMIT:
        return {}
    try:
        loaded = json.loads(value)
    except (ValueError, RecursionError):  # RecursionError: arrays nested a thousand deep
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, str)}


def message(renderer: Renderer, reply: Reply, *, question: str = "",
            asked_at: str = "", share: bool = False) -> SlackMessage:
    """The reply as a Slack message with its buttons: rating under an answer (and "Share in
    channel" for a private `/faq` answer), the choices, or "Ask a moderator" after a decline."""
    text = renderer.render(reply, "slack")
    blocks = [section(text)]
    if reply.template == "answer":
        entry = str(reply.context["entry"]["id"])
        buttons = [button("Helpful", RATE_HELPFUL, entry),
                   button("Not helpful", RATE_UNHELPFUL, entry)]
        if share:
            buttons.append(button("Share in channel", SHARE, entry, "primary"))
        blocks.append(actions(*buttons))
    elif reply.template == "suggest":
        blocks.append(actions(*(
            button(f"{c['number']}. {c['title']}", f"{PICK}_{c['number']}",
                   carried(e=str(c["id"]), q=question))
            for c in reply.context["choices"])))
    elif reply.template == "decline":
        blocks.append(actions(button("Ask a moderator", ASK_MODERATOR,
                                     carried(q=question, ts=asked_at))))
    return SlackMessage(cut(text), blocks)


def replaced(text: str, note: str) -> SlackMessage:
    """A message's text kept, its buttons replaced by a note (a rating's thanks)."""
    return SlackMessage(cut(text), [section(text), context(note)])
