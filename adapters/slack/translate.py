"""Translate in: Slack's events and payloads as the core's `Incoming`, and back to Slack ids.

Pure functions, no I/O. Slack sends message text as mrkdwn: mentions and links in angle
brackets and `&`, `<`, `>` as entities; the core gets the words a member typed.
"""

from __future__ import annotations

import re
from typing import Any

from bot.messages import Incoming

PLATFORM = "slack"
_ID = re.compile(r"^[A-Z0-9]{2,40}$")
_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def identity(team: str, user: str) -> str:
    """The platform-qualified identity: `slack:TEAM/USER`."""
    return f"{PLATFORM}:{team}/{user}"


def user_of(identity_: str) -> str | None:
    """The Slack user id of a `slack:TEAM/USER` identity, or None for another platform's."""
    prefix, _, rest = identity_.partition(":")
    _, _, user = rest.rpartition("/")
    return user if prefix == PLATFORM and _ID.match(user) else None


def is_id(value: object) -> bool:
    """Whether a value is shaped like a Slack id (team, user, channel)."""
    return isinstance(value, str) and bool(_ID.match(value))


def plain_text(text: str, bot_user: str | None = None) -> str:
    """The words of a Slack message: the bot's own mention dropped, other mentions and links
    as their labels or ids (`@U123`, `@channel`, `#C1`), entities decoded."""
    def words(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if bot_user and target == f"@{bot_user}":
            return ""
        if label:
            return label
        if target.startswith("!"):
            return "@" + target[1:].split("^")[0]
        return target
    decoded = _MARKUP.sub(words, text)
    return decoded.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def team_of(body: dict[str, Any], event: dict[str, Any] | None = None) -> str:
    """The workspace of a payload: the event's, the body's `team_id`, or the body's team."""
    for value in ((event or {}).get("team"), body.get("team_id"),
                  (body.get("team") or {}).get("id") if isinstance(body.get("team"), dict)
                  else None, (body.get("user") or {}).get("team_id")
                  if isinstance(body.get("user"), dict) else None):
        if is_id(value):
            return str(value)
    return "T0"


def is_direct(channel: str) -> bool:
    """Whether a channel id is a direct message (only the member and the bot see it)."""
    return channel.startswith("D")


def incoming(text: str, team: str, user: str, channel: str, *, private: bool,
             moderator: bool = False) -> Incoming:
    """A member's words as the core's message type."""
    return Incoming(text=text, user=identity(team, user), platform=PLATFORM, channel=channel,
                    private=private, moderator=moderator)


def answerable(event: dict[str, Any]) -> bool:
    """A member's new message: not a bot's, not an edit, deletion or other subtype."""
    return (event.get("subtype") in (None, "file_share", "thread_broadcast")
            and not event.get("bot_id") and is_id(event.get("user"))
            and is_id(event.get("channel")) and isinstance(event.get("ts"), str))
