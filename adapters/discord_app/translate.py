"""Pure translation between Discord's terms and the core's: identities, texts, custom ids.

Nothing here talks to Discord; the client and the desk call these on the way in and out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.messages import Incoming
from bot.rendering import Trusted

PLATFORM = "discord"
MESSAGE_LIMIT = 2000  # characters in one Discord message
LABEL_LIMIT = 80      # characters on a button
_MENTION = re.compile(r"<@!?(\d{1,20})>")
# A file's link as Discord gives it: shown as is (escaping would break it), so nothing else:
# printable ASCII without spaces or the angle brackets that would end Discord's own <link>.
_FILE_URL = re.compile(r"^https://[A-Za-z0-9.-]+/[!-;=?-~]{1,1000}$")

# Custom ids of the buttons: stable across restarts, so old messages keep working.
RATE_ID = r"forumbot:rate:(?P<entry>[a-z0-9][a-z0-9-]{0,63}):(?P<helpful>[yn])"
PICK_ID = r"forumbot:pick:(?P<entry>[a-z0-9][a-z0-9-]{0,63})"
POST_ID = r"forumbot:post:(?P<entry>[a-z0-9][a-z0-9-]{0,63})"
ASK_MODERATOR_ID = r"forumbot:ask-moderator"
CUSTOM_ID_PREFIX = "forumbot:"


def identity(user_id: int) -> str:
    """The core's identity of a Discord user: `discord:1234`."""
    return f"{PLATFORM}:{user_id}"


def user_id_of(identity_: str) -> int | None:
    """The Discord user id of a `discord:` identity, or None for any other."""
    platform, _, rest = identity_.partition(":")
    if platform != PLATFORM or not (rest.isascii() and rest.isdecimal()) or len(rest) > 20:
        return None
    return int(rest)


def without_mentions_of(text: str, user_id: int) -> str:
    """The text with every mention of one user (the bot) taken out."""
    return _MENTION.sub(lambda m: "" if int(m.group(1)) == user_id else m.group(0), text).strip()


def file_links(urls: Iterable[str]) -> list[Trusted]:
    """The links of a message's files (attachments), to pass on with its text; a link that
    is not a plain https URL is left out."""
    return [Trusted(url) for url in urls if _FILE_URL.match(url)]


def mentions(text: str, user_id: int) -> bool:
    """Whether the text mentions the user (`<@id>` or `<@!id>`)."""
    return any(int(m.group(1)) == user_id for m in _MENTION.finditer(text))


def incoming(text: str, user_id: int, channel_id: int, *, private: bool,
             moderator: bool = False) -> Incoming:
    """A Discord message or command as the core's message."""
    return Incoming(text=text, user=identity(user_id), platform=PLATFORM,
                    channel=str(channel_id), private=private, moderator=moderator)


def forum_post_text(title: str, body: str) -> str:
    """A help-forum post as one question: its title, then its first message."""
    return f"{title.strip()}\n{body.strip()}".strip()


def clipped(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Text that fits one Discord message (or label), cut with an ellipsis when it does not."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pieces(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Text in as many messages of at most `limit` characters as it takes, cut between lines
    where it can, and never between an escaping backslash and what it escapes."""
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        while len(line) > limit:
            cut = limit
            while cut > 1 and line[cut - 1] == "\\":
                cut -= 1
            if current is not None:
                parts.append(current)
                current = None
            parts.append(line[:cut])
            line = line[cut:]
        if current is not None and len(current) + 1 + len(line) <= limit:
            current = f"{current}\n{line}"
        else:
            if current is not None:
                parts.append(current)
            current = line
    if current is not None:
        parts.append(current)
    return [part for part in parts if part.strip()]


def rate_id(entry_id: str, helpful: bool) -> str:
    """The custom id of a Helpful / Not helpful button."""
    return f"forumbot:rate:{entry_id}:{'y' if helpful else 'n'}"


def pick_id(entry_id: str) -> str:
    """The custom id of a "did you mean" choice."""
    return f"forumbot:pick:{entry_id}"


def post_id(entry_id: str) -> str:
    """The custom id of "Post in channel" under an ephemeral answer."""
    return f"forumbot:post:{entry_id}"
