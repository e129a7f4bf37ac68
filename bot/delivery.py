"""Delivering the notification outbox: claim due notifications, send them, retry with backoff.

Contexts carry members' contract data, so nothing here logs more than ids, platforms,
exception types and counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.messages import Reply

log = logging.getLogger(__name__)

# The wait before each retry; a notification that fails once more after the last is failed.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A member the platform says cannot be reached (closed DMs) is not asked again for this long;
# meanwhile the notification waits for them (an adapter shows it at their next message).
UNREACHABLE_HOLD = timedelta(days=7)


class Unreachable(Exception):
    """A sender's refusal that retrying soon cannot fix: the member closed their DMs."""


@dataclass(frozen=True)
class Notification:
    """One stored notification for one identity, as the outbox hands it out."""

    id: int
    identity: str
    platform: str
    template: str
    context: Mapping[str, Any]
    attempts: int

    def reply(self) -> Reply:
        """The notification as a private reply to its member."""
        return Reply(self.template, self.context, private=True)


class Sender(Protocol):
    """Sends replies to identities of one platform; raises when a send fails."""

    @property
    def platform(self) -> str:
        """The platform whose identities this sender reaches (`slack`, `discord`)."""
        ...

    def send(self, identity: str, reply: Reply) -> None:
        """Deliver `reply` to `identity`, or raise."""
        ...


class Claim(Protocol):
    """Notifications claimed by one deliverer; outcomes are committed when the claim ends."""

    @property
    def notifications(self) -> Sequence[Notification]:
        """The claimed notifications, oldest first."""
        ...

    def delivered(self, notification_id: int, attempts: int, at: datetime) -> None:
        """Mark a notification delivered."""
        ...

    def retry(self, notification_id: int, attempts: int, at: datetime) -> None:
        """Record a failed attempt and make the notification due again at `at`."""
        ...

    def failed(self, notification_id: int, attempts: int) -> None:
        """Record the last failed attempt: the notification is given up on."""
        ...


class Outbox(Protocol):
    """The port for the notification outbox; `bot.storage.outbox_store` implements it."""

    def claim_due(
        self, platforms: Collection[str], now: datetime, limit: int
    ) -> AbstractContextManager[Claim]:
        """Claim up to `limit` pending notifications due by `now` for `platforms`.

        No other claim gets them until this one ends; outcomes not recorded leave them pending.
        """
        ...

    def claim_for(self, identity: str) -> AbstractContextManager[Claim]:
        """Claim every pending notification of one identity, due or not."""
        ...

    def delete_for(self, identity: str) -> int:
        """Delete every notification of one identity; returns how many there were."""
        ...


@dataclass(frozen=True)
class DeliveryReport:
    """What one round of delivery did, in counts."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        """How many notifications the round handled."""
        return self.delivered + self.retried + self.failed


def _never() -> bool:
    return False


def deliver_due(
    outbox: Outbox, senders: Iterable[Sender], now: datetime, batch: int = 50,
    stopping: Callable[[], bool] = _never,
) -> DeliveryReport:
    """Send up to `batch` due notifications through the sender of their platform.

    A failed send is retried after the next of `RETRY_DELAYS`, and given up on after
    `MAX_ATTEMPTS`; a member who cannot be reached (`Unreachable`) is asked again only after
    `UNREACHABLE_HOLD`; a platform without a sender keeps its notifications pending.
    """
    by_platform = {sender.platform: sender for sender in senders}
    if not by_platform:
        return DeliveryReport()
    delivered = retried = failed = 0
    with outbox.claim_due(by_platform, now, batch) as claim:
        for note in claim.notifications:
            if stopping():  # shutting down: the ones not yet sent stay pending
                break
            attempts = note.attempts + 1
            try:
                by_platform[note.platform].send(note.identity, note.reply())
            except Unreachable:
                # Kept for the member's next message; asked again after a long hold, and
                # given up on like any failure after MAX_ATTEMPTS.
                if attempts >= MAX_ATTEMPTS:
                    claim.failed(note.id, attempts)
                    failed += 1
                else:
                    claim.retry(note.id, attempts, now + UNREACHABLE_HOLD)
                    retried += 1
                log.info("notification %d (%s): the member cannot be reached, held",
                         note.id, note.platform)
            except Exception as exc:  # any failure of a platform is one failed attempt
                if attempts >= MAX_ATTEMPTS:
                    claim.failed(note.id, attempts)
                    failed += 1
                    log.warning("notification %d (%s) failed for good after %d attempts: %s",
                                note.id, note.platform, attempts, type(exc).__name__)
                else:
                    claim.retry(note.id, attempts, now + RETRY_DELAYS[attempts - 1])
                    retried += 1
                    log.info("notification %d (%s) failed, attempt %d, will retry: %s",
                             note.id, note.platform, attempts, type(exc).__name__)
            else:
                claim.delivered(note.id, attempts, now)
                delivered += 1
    return DeliveryReport(delivered, retried, failed)


def take_pending(outbox: Outbox, identity: str, now: datetime) -> list[Reply]:
    """Every pending notification of one identity as replies, marked delivered.

    For an adapter that shows them itself (the console, at the start of a chat).
    """
    with outbox.claim_for(identity) as claim:
        for note in claim.notifications:
            claim.delivered(note.id, note.attempts + 1, now)
        return [note.reply() for note in claim.notifications]
