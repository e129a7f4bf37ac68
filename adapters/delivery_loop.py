"""The background thread of `forumbot serve` that delivers the notification outbox.

Slack and Discord senders come with their adapters; until then the serve process has no
senders and this loop sends nothing. Console notifications are not sent by it either: the
console shows them itself at the start of `forumbot chat` (`bot.delivery.take_pending`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bot.delivery import Outbox, Sender, deliver_due

log = logging.getLogger(__name__)
# A send still going after this long at shutdown is left to the next start to resend.
STOP_TIMEOUT = 30.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def start_delivery(
    outbox: Outbox,
    senders: Sequence[Sender],
    interval: float = 5.0,
    batch: int = 50,
    clock: Callable[[], datetime] = _utc_now,
) -> Callable[[], None]:
    """Deliver due notifications every `interval` seconds in a thread; returns its stopper.

    A full batch is followed at once by the next. A failed round is logged (its exception
    type only: messages can quote members' data) and the loop goes on. The stopper lets the
    send in hand finish (up to `STOP_TIMEOUT` seconds) and commits what was sent; the rest of
    the batch stays pending for the next start.
    """
    stopping = threading.Event()

    def run() -> None:
        while not stopping.is_set():
            try:
                report = deliver_due(outbox, senders, clock(), batch, stopping.is_set)
            except Exception as exc:  # the loop outlives any one round
                log.error("notification delivery round failed: %s", type(exc).__name__)
            else:
                if report.claimed:
                    log.info("notifications: %d delivered, %d to retry, %d failed",
                             report.delivered, report.retried, report.failed)
                if report.claimed == batch:
                    continue
            stopping.wait(interval)

    thread = threading.Thread(target=run, name="forumbot-delivery", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(STOP_TIMEOUT)

    return stop
