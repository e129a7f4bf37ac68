"""The notification outbox delivered: once, retried with backoff, private in logs.

Tests that take `database_url` run on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from adapters.console import chat
from adapters.delivery_loop import start_delivery
from bot.app import App
from bot.contracts.model import (
    Contract,
    ContractStatus,
    ContractType,
    Milestone,
    MilestoneStatus,
    Role,
)
from bot.contracts.payment_notices import Notice, notification_context
from bot.delivery import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    UNREACHABLE_HOLD,
    Claim,
    DeliveryReport,
    Unreachable,
    deliver_due,
    take_pending,
)
from bot.messages import Reply
from bot.rendering import Renderer
from bot.resources import templates_dir
from bot.storage.database import make_engine, upgrade
from bot.storage.models import NotificationRow
from bot.storage.outbox_store import LEASE, SqlOutbox, add_notification

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
SECRET_TITLE = "Secret merger deck"
SECRET_AMOUNT = "98765.43"


def context(event: str = "milestone_funded", title: str = "Logo and brand kit",
            amount: str = "150.00") -> dict[str, Any]:
    """A notification's context as the webhook writes it."""
    status, available_at = {
        "milestone_funded": (MilestoneStatus.FUNDED, None),
        "milestone_paid": (MilestoneStatus.PAID, NOW + timedelta(days=5)),
        "milestone_refunded": (MilestoneStatus.REFUNDED, None),
        "payment_available": (MilestoneStatus.PAID, NOW - timedelta(days=1)),
    }[event]
    milestone = Milestone(2, "Final files", Decimal(amount), status, available_at=available_at)
    contract = Contract("C-1", title, ContractType.FIXED, "acc-b", "acc-a", ContractStatus.ACTIVE,
                        NOW, "USD", milestones=(milestone,))
    return notification_context(Notice(event, milestone=milestone), contract, Role.FREELANCER,
                                NOW)


def add(engine: Engine, identity: str, platform: str, count: int = 1,
        **overrides: str) -> None:
    """Queue `count` notifications in one transaction, as the webhook does."""
    with Session(engine) as session, session.begin():
        for _ in range(count):
            add_notification(session, identity, platform, "notification", context(**overrides),
                             NOW)


def rows(engine: Engine) -> list[tuple[int, str, str, int]]:
    """(id, identity, status, attempts) of every notification, by id."""
    with Session(engine) as session:
        found = session.scalars(select(NotificationRow).order_by(NotificationRow.id))
        return [(r.id, r.identity, r.status, r.attempts) for r in found]


class RecordingSender:
    """A platform that records what it is sent, or fails while `failing` is set."""

    def __init__(self, platform: str, failing: bool = False, pause: float = 0.0) -> None:
        self.platform = platform
        self.failing = failing
        self.pause = pause
        self.sent: list[tuple[str, Reply]] = []

    def send(self, identity: str, reply: Reply) -> None:
        time.sleep(self.pause)
        if self.failing:
            raise ConnectionError(f"could not post {dict(reply.context)} to {identity}")
        self.sent.append((identity, reply))


def test_a_due_notification_is_sent_once_as_a_private_reply_and_marked_delivered(
    engine: Engine,
) -> None:
    add(engine, "slack:T1/U2", "slack")
    outbox, slack = SqlOutbox(engine), RecordingSender("slack")

    assert deliver_due(outbox, [slack], NOW) == DeliveryReport(delivered=1)
    assert deliver_due(outbox, [slack], NOW + timedelta(days=1)) == DeliveryReport()

    assert slack.sent == [("slack:T1/U2", Reply("notification", context(), private=True))]
    assert [r[1:] for r in rows(engine)] == [("slack:T1/U2", "delivered", 1)]


def test_a_failed_send_is_retried_after_a_backoff_and_not_lost(engine: Engine) -> None:
    add(engine, "discord:123", "discord")
    outbox, discord = SqlOutbox(engine), RecordingSender("discord", failing=True)

    assert deliver_due(outbox, [discord], NOW) == DeliveryReport(retried=1)
    discord.failing = False
    early = NOW + RETRY_DELAYS[0] - timedelta(seconds=1)
    assert deliver_due(outbox, [discord], early) == DeliveryReport()
    assert deliver_due(outbox, [discord], NOW + RETRY_DELAYS[0]) == DeliveryReport(delivered=1)

    assert len(discord.sent) == 1
    assert [r[2:] for r in rows(engine)] == [("delivered", 2)]


def test_a_notification_that_keeps_failing_is_marked_failed_after_the_last_attempt(
    engine: Engine,
) -> None:
    add(engine, "discord:123", "discord")
    outbox, discord = SqlOutbox(engine), RecordingSender("discord", failing=True)

    reports = [deliver_due(outbox, [discord], NOW + timedelta(days=n))
               for n in range(MAX_ATTEMPTS + 1)]

    assert reports == [DeliveryReport(retried=1)] * (MAX_ATTEMPTS - 1) + [
        DeliveryReport(failed=1), DeliveryReport()]
    assert [r[2:] for r in rows(engine)] == [("failed", MAX_ATTEMPTS)]


class ClosedDms(RecordingSender):
    """A platform whose member has closed their direct messages."""

    def send(self, identity: str, reply: Reply) -> None:
        raise Unreachable()


def test_a_member_who_cannot_be_reached_is_held_for_their_next_message_not_retried_soon(
    engine: Engine,
) -> None:
    add(engine, "discord:123", "discord")
    outbox = SqlOutbox(engine)

    assert deliver_due(outbox, [ClosedDms("discord")], NOW) == DeliveryReport(retried=1)
    soon = NOW + RETRY_DELAYS[-1]
    assert deliver_due(outbox, [ClosedDms("discord")], soon) == DeliveryReport()
    assert take_pending(outbox, "discord:123", soon) == [
        Reply("notification", context(), private=True)]
    assert deliver_due(outbox, [ClosedDms("discord")], NOW + UNREACHABLE_HOLD) == \
        DeliveryReport()


def test_notifications_for_a_platform_without_a_sender_stay_pending(engine: Engine) -> None:
    add(engine, "discord:123", "discord")
    add(engine, "slack:T1/U2", "slack")
    outbox, slack = SqlOutbox(engine), RecordingSender("slack")

    assert deliver_due(outbox, [], NOW) == DeliveryReport()
    assert deliver_due(outbox, [slack], NOW) == DeliveryReport(delivered=1)

    assert [r[1:3] for r in rows(engine)] == [("discord:123", "pending"),
                                              ("slack:T1/U2", "delivered")]


def test_a_batch_claims_the_oldest_notifications_first(engine: Engine) -> None:
    add(engine, "slack:T1/U1", "slack")
    add(engine, "slack:T1/U2", "slack", count=2)
    slack = RecordingSender("slack")

    assert deliver_due(SqlOutbox(engine), [slack], NOW, batch=2) == DeliveryReport(delivered=2)

    assert [identity for identity, _ in slack.sent] == ["slack:T1/U1", "slack:T1/U2"]
    assert [r[2] for r in rows(engine)] == ["delivered", "delivered", "pending"]


class WritingMeanwhile(RecordingSender):
    """A platform that takes its time: while it sends, another thread writes to the database
    (as a webhook event or a member's question would) and the send waits for that write."""

    def __init__(self, platform: str, write: Callable[[], None]) -> None:
        super().__init__(platform)
        self.write = write
        self.wrote_during_sends: list[bool] = []

    def send(self, identity: str, reply: Reply) -> None:
        wrote = threading.Event()
        writer = threading.Thread(target=lambda: (self.write(), wrote.set()))
        writer.start()
        self.wrote_during_sends.append(wrote.wait(10))
        writer.join()
        super().send(identity, reply)


def test_nothing_waits_for_a_platform_while_a_notification_is_sent(engine: Engine) -> None:
    add(engine, "slack:T1/U1", "slack")
    slack = WritingMeanwhile("slack", lambda: add(engine, "slack:T1/U2", "slack"))

    assert deliver_due(SqlOutbox(engine), [slack], NOW, batch=1) == DeliveryReport(delivered=1)

    assert slack.wrote_during_sends == [True]  # on SQLite too: no write lock is held meanwhile
    assert [r[1:3] for r in rows(engine)] == [("slack:T1/U1", "delivered"),
                                              ("slack:T1/U2", "pending")]


def test_forgetting_a_member_while_their_notification_is_sent_leaves_nothing_behind(
        engine: Engine) -> None:
    add(engine, "slack:T1/U1", "slack")
    outbox = SqlOutbox(engine)
    slack = WritingMeanwhile("slack", lambda: outbox.delete_for("slack:T1/U1"))

    assert deliver_due(outbox, [slack], NOW) == DeliveryReport(delivered=1)

    assert slack.wrote_during_sends == [True] and rows(engine) == []


def test_a_notification_whose_deliverer_died_while_sending_is_sent_once_its_lease_ends(
        engine: Engine) -> None:
    add(engine, "slack:T1/U1", "slack")
    with Session(engine) as session, session.begin():  # as a claim leaves it, never settled
        row = session.scalars(select(NotificationRow)).one()
        row.status, row.next_attempt_at = "sending", NOW + LEASE
    outbox, slack = SqlOutbox(engine), RecordingSender("slack")

    assert deliver_due(outbox, [slack], NOW) == DeliveryReport()  # another deliverer's, for now
    assert take_pending(outbox, "slack:T1/U1", NOW) == []
    assert deliver_due(outbox, [slack], NOW + LEASE) == DeliveryReport(delivered=1)
    assert [r[2:] for r in rows(engine)] == [("delivered", 1)]


def test_forgetting_a_member_deletes_only_their_notifications(engine: Engine) -> None:
    add(engine, "slack:T1/U1", "slack", count=2)
    add(engine, "slack:T1/U2", "slack")

    assert SqlOutbox(engine).delete_for("slack:T1/U1") == 2

    assert [r[1] for r in rows(engine)] == ["slack:T1/U2"]


def test_a_failed_send_logs_the_id_and_the_error_type_but_never_the_context(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    add(engine, "slack:T1/U2", "slack", title=SECRET_TITLE, amount=SECRET_AMOUNT)
    slack = RecordingSender("slack", failing=True)
    caplog.set_level(logging.DEBUG)

    for n in range(MAX_ATTEMPTS):
        deliver_due(SqlOutbox(engine), [slack], NOW + timedelta(days=n))

    logged = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert any("ConnectionError" in line and str(rows(engine)[0][0]) in line for line in logged)
    assert not [line for line in logged if SECRET_TITLE in line or SECRET_AMOUNT in line]


class BrokenOnceOutbox(SqlOutbox):
    """The real outbox, whose first claim fails with members' data in the error message."""

    broken = True

    def claim_due(self, platforms: Collection[str], now: datetime,
                  limit: int) -> AbstractContextManager[Claim]:
        if self.broken:
            self.broken = False
            raise RuntimeError(f"database went away while reading {SECRET_TITLE}")
        return super().claim_due(platforms, now, limit)


def wait_for(condition: Callable[[], bool], seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_delivery_loop_outlives_a_failed_round_and_stops_promptly(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    add(engine, "slack:T1/U2", "slack")
    slack = RecordingSender("slack")

    stop = start_delivery(BrokenOnceOutbox(engine), [slack], interval=0.02, clock=lambda: NOW)
    wait_for(lambda: len(slack.sent) == 1)
    started = time.monotonic()
    stop()

    assert time.monotonic() - started < 0.5
    assert any("RuntimeError" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if SECRET_TITLE in r.getMessage() + (r.exc_text or "")]


def test_the_delivery_loop_goes_straight_on_after_a_full_batch(engine: Engine) -> None:
    add(engine, "slack:T1/U2", "slack", count=5)
    slack = RecordingSender("slack")

    stop = start_delivery(SqlOutbox(engine), [slack], interval=60, batch=2, clock=lambda: NOW)
    try:
        wait_for(lambda: len(slack.sent) == 5)
    finally:
        stop()


def test_each_notification_event_reads_as_a_plain_sentence() -> None:
    renderer = Renderer(templates_dir())
    expected = {
        "milestone_funded": "Update on Logo and brand kit (C-1): Milestone 2, Final files, "
                            "$150: funded: the money is in escrow.",
        "milestone_paid": "$150: paid, Pending until Nov 23, 2026",
        "milestone_refunded": "$150: refunded: the escrow went back to the client.",
        "payment_available": "Money available on Logo and brand kit (C-1): Milestone 2, "
                             "Final files, $150: paid; it became available on Nov 17, 2026",
    }
    for event, words in expected.items():
        text = renderer.render(Reply("notification", context(event)), "text")
        assert words in text, event
        assert text.endswith("contract status C-1")


def test_console_chat_start_shows_pending_notifications_once(
    make_app: Callable[..., App], sqlite_database: str
) -> None:
    app = make_app(sqlite_database)
    add(app.engine, "console:ana", "console", count=2)
    add(app.engine, "console:bob", "console")

    def start_chat() -> list[str]:
        written: list[str] = []

        def read(_prompt: str) -> str:
            raise EOFError

        chat(app, "console:ana", None, read=read, write=written.append)
        return written

    first, second = start_chat(), start_chat()

    away = first.index("While you were away:")
    funded = "- Update on Logo and brand kit (C-1): Milestone 2, Final files, $150: funded"
    assert [line.startswith(funded) for line in first[away + 1:away + 3]] == [True, True]
    assert not [line for line in second if "While you were away" in line or "funded" in line]
    assert [r[1:3] for r in rows(app.engine)] == [("console:ana", "delivered"),
                                                  ("console:ana", "delivered"),
                                                  ("console:bob", "pending")]


@pytest.mark.postgres
def test_two_concurrent_deliverers_send_every_notification_exactly_once(
    postgres_database: str,
) -> None:
    setup = make_engine(postgres_database)
    upgrade(setup)
    with Session(setup) as session, session.begin():
        for n in range(300):
            add_notification(session, "slack:T1/U2", "slack", "notification", {"n": n}, NOW)
    engines = [make_engine(postgres_database) for _ in range(2)]
    senders = [RecordingSender("slack", pause=0.002) for _ in range(2)]
    errors: list[BaseException] = []
    go = threading.Barrier(2)

    def deliverer(engine: Engine, sender: RecordingSender) -> None:
        try:
            go.wait()
            while deliver_due(SqlOutbox(engine), [sender], NOW, batch=10).claimed:
                pass
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=deliverer, args=pair)
               for pair in zip(engines, senders, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for e in engines:
        e.dispose()

    assert errors == []
    assert sorted(reply.context["n"] for s in senders for _, reply in s.sent) == list(range(300))
    assert all(s.sent for s in senders), [len(s.sent) for s in senders]
    assert {r[2] for r in rows(setup)} == {"delivered"}
    setup.dispose()
