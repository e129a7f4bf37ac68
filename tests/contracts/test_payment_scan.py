"""Payments that become available with time are told once: scans, webhooks and replicas."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import App
from bot.contracts.importing import dataset_from_json
from bot.contracts.linking import LinkOutcome
from bot.contracts.webhook import parse_event
from bot.storage.event_store import SqlEventStore
from bot.storage.models import NotificationRow
from bot.storage.payment_scan import SqlPaymentScan

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ALICE, BRAM = "slack:T1/UALICE", "console:bram"


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


SEED = {
    "accounts": [{"id": "acc-alice", "name": "Alice Moreau", "role": "freelancer"},
                 {"id": "acc-bram", "name": "Bram Industries", "role": "client"}],
    "contracts": [
        {"id": "C-1", "title": "Logo", "type": "fixed", "client": "acc-bram",
         "freelancer": "acc-alice", "status": "active", "started_at": "2026-10-01",
         "currency": "USD", "milestones": [
             {"seq": 1, "title": "Sketches", "amount": "50.00", "status": "paid",
              "funded_at": "2026-10-02", "approved_at": "2026-11-20",
              "available_at": _iso(NOW + timedelta(hours=1))},
             {"seq": 2, "title": "Files", "amount": "150.00", "status": "approved",
              "funded_at": "2026-10-02", "approved_at": "2026-11-20"},
             {"seq": 3, "title": "Old", "amount": "10.00", "status": "paid",
              "funded_at": "2026-10-02", "approved_at": "2026-10-05",
              "available_at": "2026-10-10"}]},
        {"id": "C-2", "title": "Books", "type": "hourly", "client": "acc-bram",
         "freelancer": "acc-alice", "status": "active", "started_at": "2026-11-02",
         "currency": "USD", "hourly": {"rate": "30.00", "invoices": [
             {"week_start": "2026-11-16", "hours": "7.5", "amount": "225.00",
              "status": "pending", "available_at": _iso(NOW + timedelta(hours=2))}]}},
    ],
}


@pytest.fixture
def contracts_app(make_app: Callable[..., App], database_url: str) -> App:
    app = make_app(database_url)
    app.contracts.import_dataset(dataset_from_json(json.dumps(SEED)))
    for identity, account in ((ALICE, "acc-alice"), (BRAM, "acc-bram")):
        code = app.links.issue_code(account, NOW)
        redeemed = app.links.redeem(identity, identity.split(":")[0], code, NOW)
        assert redeemed.outcome is LinkOutcome.LINKED
    return app


def told(app: App) -> list[tuple[str, str, str]]:
    """(identity, event, what) of every queued notification, oldest first."""
    with Session(app.engine) as session:
        rows = session.scalars(select(NotificationRow).order_by(NotificationRow.id))
        return [(r.identity, r.context["event"],
                 f"milestone {r.context['milestone']['seq']}" if r.context["milestone"]
                 else f"invoice {r.context['invoice']['week_start'][:10]}") for r in rows]


def test_a_payment_that_becomes_available_with_time_is_told_once_to_each_party(
    contracts_app: App,
) -> None:
    scan = SqlPaymentScan(contracts_app.engine)
    assert scan.scan(NOW) == 0
    assert scan.scan(NOW + timedelta(hours=1, minutes=1)) == 1
    assert scan.scan(NOW + timedelta(hours=1, minutes=2)) == 0
    assert scan.scan(NOW + timedelta(hours=2, minutes=1)) == 1
    assert told(contracts_app) == [
        (BRAM, "payment_available", "milestone 1"), (ALICE, "payment_available", "milestone 1"),
        (BRAM, "payment_available", "invoice 2026-11-16"),
        (ALICE, "payment_available", "invoice 2026-11-16"),
    ], "milestone 3 became available weeks ago: the scan does not dig it up"


def test_a_payment_a_webhook_told_available_is_not_told_again_by_the_scan(
    contracts_app: App,
) -> None:
    paid = {"id": "evt_1", "type": "milestone.paid", "time": _iso(NOW),
            "data": {"contract_id": "C-1", "seq": 2, "available_at": _iso(NOW)}}
    assert SqlEventStore(contracts_app.engine).apply(parse_event(json.dumps(paid).encode()),
                                                     NOW + timedelta(minutes=1))
    assert [t[2] for t in told(contracts_app)] == ["milestone 2", "milestone 2"]
    assert SqlPaymentScan(contracts_app.engine).scan(NOW + timedelta(minutes=2)) == 0
    assert len(told(contracts_app)) == 2


def test_two_replicas_scanning_at_once_tell_each_payment_once(
    contracts_app: App, make_app: Callable[..., App],
) -> None:
    other = make_app(contracts_app.engine.url.render_as_string(hide_password=False))
    start = threading.Barrier(2)
    counts: list[int] = []

    def scan(app: App) -> None:
        start.wait()
        counts.append(SqlPaymentScan(app.engine).scan(NOW + timedelta(hours=3)))

    threads = [threading.Thread(target=scan, args=(a,)) for a in (contracts_app, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 2
    assert sorted(t[2] for t in told(contracts_app)) == [
        "invoice 2026-11-16", "invoice 2026-11-16", "milestone 1", "milestone 1"]
