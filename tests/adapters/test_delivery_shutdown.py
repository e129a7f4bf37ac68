"""Shutting down while notifications are being sent: the send in hand finishes, none is lost.

Runs on a SQLite file and on PostgreSQL (`engine`).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from adapters.delivery_loop import start_delivery
from bot.messages import Reply
from bot.storage.models import NotificationRow
from bot.storage.outbox_store import SqlOutbox, add_notification

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
MEMBERS = ["slack:T1/UANN", "slack:T1/UBEN", "slack:T1/UCAT"]


class GatedSender:
    """A Slack sender whose first send waits until the test lets it finish."""

    platform = "slack"

    def __init__(self) -> None:
        self.sending = threading.Event()
        self.release = threading.Event()
        self.sent: list[str] = []

    def send(self, identity: str, reply: Reply) -> None:
        self.sending.set()
        assert self.release.wait(60)
        self.sent.append(identity)


def statuses(engine: Engine) -> dict[str, tuple[str, int]]:
    with Session(engine) as session:
        return {r.identity: (r.status, r.attempts)
                for r in session.scalars(select(NotificationRow))}


def test_stopping_the_delivery_loop_finishes_the_send_in_hand_and_leaves_the_rest_pending(
    engine: Engine,
) -> None:
    with Session(engine) as session, session.begin():
        for identity in MEMBERS:
            add_notification(session, identity, "slack", "sent_privately", {}, NOW)
    sender = GatedSender()
    stop = start_delivery(SqlOutbox(engine), [sender], interval=60, clock=lambda: NOW)
    assert sender.sending.wait(60)
    stopper = threading.Thread(target=stop)
    stopper.start()
    time.sleep(0.5)  # let the stopper raise its flag while the first send is still going
    sender.release.set()
    stopper.join(60)

    assert not stopper.is_alive()
    assert sender.sent == [MEMBERS[0]]
    assert statuses(engine) == {MEMBERS[0]: ("delivered", 1), MEMBERS[1]: ("pending", 0),
                                MEMBERS[2]: ("pending", 0)}

    after_restart = GatedSender()
    after_restart.release.set()
    stop = start_delivery(SqlOutbox(engine), [after_restart], interval=0.05, clock=lambda: NOW)
    deadline = time.monotonic() + 60
    while len(after_restart.sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop()
    assert after_restart.sent == MEMBERS[1:]
    assert {s for s, _ in statuses(engine).values()} == {"delivered"}
