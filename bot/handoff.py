"""Passing a question the assistant could not answer to a human moderator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.audit import AuditRecord

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


@dataclass(frozen=True)
class Closing:
    """How a queued hand-off is closed: its new status (`answered` or `closed`), the audit
    record, and for an answer the notification the member gets (template and plain-JSON
    context), all written in one transaction."""

    status: str
    audit: AuditRecord
    notification: tuple[str, Mapping[str, Any]] | None = None


class HandoffStore(Protocol):
    """The port for the moderators' queue; `bot.storage` implements it."""

    def offer(self, user: str, platform: str, channel_private: bool, question: str) -> None:
        """Remember a declined question as offered to the moderators."""
        ...

    def queue_last_offer(self, user: str, within: timedelta) -> Handoff | None:
        """Queue the member's latest offered question, if any is recent enough."""
        ...

    def withdraw(self, handoff_id: int) -> bool:
        """Take a queued hand-off out of the queue, as the member's offer again (its post to
        the moderators failed); False when it is not queued (any more)."""
        ...

    def queued(self) -> list[Handoff]:
        """The queue, oldest first."""
        ...

    def get(self, handoff_id: int) -> Handoff | None:
        """One hand-off passed to the moderators (queued or closed), or None."""
        ...

    def close(self, handoff_id: int, closing: Closing) -> Handoff | None:
        """Close a queued hand-off as `closing` says; None when it is not queued (any more)."""
        ...
