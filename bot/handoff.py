"""Passing a question the assistant could not answer to a human moderator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

# A member says "moderator" right after a declined question; an hour later it is a new topic.
OFFER_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class Handoff:
    """A question on its way to (or in) the moderators' queue."""

    id: int
    user: str
    platform: str
    channel_private: bool
    question: str
    status: str
    created_at: datetime


class HandoffStore(Protocol):
    """The port for the moderators' queue; `bot.storage` implements it."""

    def offer(self, user: str, platform: str, channel_private: bool, question: str) -> None:
        """Remember a declined question as offered to the moderators."""
        ...

    def queue_last_offer(self, user: str, within: timedelta) -> Handoff | None:
        """Queue the member's latest offered question, if any is recent enough."""
        ...

    def queued(self) -> list[Handoff]:
        """The queue, oldest first."""
        ...
