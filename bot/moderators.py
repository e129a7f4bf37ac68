"""Who may edit the FAQ: the moderators table, or a platform role the adapter checked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.errors import NotAllowed, UserError

PLATFORMS = ("console", "slack", "discord")
_VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f\xad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
_IDENTITY = re.compile(rf"^({'|'.join(PLATFORMS)}):{_VISIBLE}{{1,190}}$")
_ACTOR = re.compile(rf"^{_VISIBLE}(?:{_VISIBLE}| ){{0,98}}{_VISIBLE}?$")


@dataclass(frozen=True)
class Moderator:
    """An identity in the moderators table, and who added it when."""

    identity: str
    added_by: str
    added_at: datetime


class Moderators(Protocol):
    """The port for the moderators table; every change is audited with it."""

    def is_moderator(self, identity: str) -> bool:
        """Whether the identity is in the table."""
        ...

    def add(self, identity: str, by: str, at: datetime) -> bool:
        """Add an identity (audited); False if it was one already."""
        ...

    def remove(self, identity: str, by: str, at: datetime) -> bool:
        """Remove an identity (audited); False if it was none."""
        ...

    def all(self) -> list[Moderator]:
        """Every moderator, by identity."""
        ...


def checked_identity(identity: str) -> str:
    """A platform-qualified identity (`console:ana`, `slack:T1/U2`, `discord:123`), or an error."""
    identity = identity.strip()
    if not _IDENTITY.match(identity):
        raise UserError(
            f"{identity[:80]!r} is not an identity: write it with its platform, "
            f"like console:ana, slack:T123/U456 or discord:1234"
        )
    return identity


def checked_actor(actor: str) -> str:
    """A name for the history and the audit log (`--as WHO`): one line of 1-100 visible
    characters, spaces allowed inside."""
    actor = actor.strip()
    if not _ACTOR.match(actor):
        raise UserError("--as needs a name of 1 to 100 visible characters on one line, for "
                        "the history and the audit log")
    return actor


def require_moderator(moderators: Moderators, actor: str, granted: bool) -> None:
    """Refuse anyone who is neither in the table nor granted by a platform role."""
    if granted or moderators.is_moderator(actor):
        return
    raise NotAllowed(
        f"Only moderators can do that, and {actor} is not one; nothing was changed. An "
        f"operator can add you with `forumbot moderators add {actor}`."
    )
