"""Payments that become available because time passes, no event needed: a periodic scan.

A paid milestone is Pending until its `available_at`, and so is a pending invoice; nothing
arrives when that moment passes. The scan looks at the payments whose moment passed within
`window` (one day: a server that was down catches up, an import of old contracts does not
tell years of payments), tells those not told yet (`payment_marks`), and marks them, in one
transaction per round. Any number of replicas may scan at once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.contracts.payment_notices import Notice
from bot.contracts.views import invoice_view, payment_stage
from bot.storage.event_store import load_contract
from bot.storage.models import InvoiceRow, MilestoneRow, ToldPaymentRow
from bot.storage.payment_marks import invoice_key, milestone_key, notify_parties

SCAN_WINDOW = timedelta(days=1)


class SqlPaymentScan:
    """Tells each payment once when it becomes available with time."""

    def __init__(self, engine: Engine, window: timedelta = SCAN_WINDOW) -> None:
        self._engine = engine
        self._window = window

    def scan(self, now: datetime) -> int:
        """Queue the notices of payments that became available since `now - window` and
        were not told yet; returns how many payments were told."""
        since = now - self._window
        with Session(self._engine) as session, session.begin():
            due: dict[str, set[str]] = defaultdict(set)
            for contract_id, seq in session.execute(
                    select(MilestoneRow.contract_id, MilestoneRow.seq)
                    .where(MilestoneRow.status == "paid", MilestoneRow.available_at <= now,
                           MilestoneRow.available_at > since)):
                due[contract_id].add(milestone_key(seq))
            for contract_id, week in session.execute(
                    select(InvoiceRow.contract_id, InvoiceRow.week_start)
                    .where(InvoiceRow.status.in_(("pending", "available")),
                           InvoiceRow.available_at <= now, InvoiceRow.available_at > since)):
                due[contract_id].add(invoice_key(week))
            if not due:
                return 0
            for contract_id, item in session.execute(
                    select(ToldPaymentRow.contract_id, ToldPaymentRow.item)
                    .where(ToldPaymentRow.contract_id.in_(sorted(due)))):
                due[contract_id].discard(item)
            told = 0
            for contract_id in sorted(c for c, items in due.items() if items):
                contract = load_contract(session.connection(), contract_id)
                if contract is None:
                    continue
                items = due[contract_id]
                found = [Notice("payment_available", milestone=m) for m in contract.milestones
                         if milestone_key(m.seq) in items and payment_stage(m, now) == "available"]
                found += [Notice("payment_available", invoice=v) for v in contract.invoices
                          if invoice_key(v.week_start) in items
                          and invoice_view(v, contract.currency, now)["status"] == "available"]
                told += notify_parties(session.connection(), contract, found, now)
            return told
