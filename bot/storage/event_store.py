"""Webhook events applied on SQLAlchemy: each in one transaction, with the notifications it gives.

The event's id is inserted first: an id already stored, or inserted meanwhile by another
replica (its primary key conflicts once that replica commits), makes the event a duplicate,
and nothing is applied. The contract's row is locked while it is read and changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.contracts.changes import changed_contract
from bot.contracts.linking import capped_expiry
from bot.contracts.model import Contract
from bot.contracts.payment_notices import notices
from bot.contracts.webhook_events import ContractChange, ContractSnapshot, Event, LinkCodeIssued
from bot.errors import WebhookRejected
from bot.storage.contract_store import (
    account_row,
    contract_from_rows,
    contract_row,
    invoice_from_row,
    invoice_row,
    milestone_from_row,
    milestone_row,
)
from bot.storage.link_store import store_code
from bot.storage.models import (
    AccountRow,
    ContractRow,
    InvoiceRow,
    MilestoneRow,
    WebhookEventRow,
)
from bot.storage.payment_marks import notify_parties

_INSERTS: dict[str, Callable[[type[WebhookEventRow]], PostgresInsert | SqliteInsert]] = {
    "postgresql": postgresql_insert, "sqlite": sqlite_insert}


def _record(session: Session, event: Event, now: datetime) -> bool:
    """Insert the event's id; False when it is already there.

    On PostgreSQL and SQLite one statement, `INSERT ... ON CONFLICT DO NOTHING` (PostgreSQL
    waits for another replica inserting the same id, then inserts nothing if it committed);
    elsewhere an insert in a savepoint.
    """
    insert = _INSERTS.get(session.get_bind().dialect.name)
    if insert is None:
        try:
            with session.begin_nested():
                session.add(WebhookEventRow(id=event.id, type=event.type.value, received_at=now))
        except IntegrityError:
            return False
        return True
    inserted = session.execute(
        insert(WebhookEventRow)
        .values(id=event.id, type=event.type.value, received_at=now)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(WebhookEventRow.id))
    return inserted.scalar_one_or_none() is not None


def load_contract(session: Session, contract_id: str) -> Contract | None:
    """A stored contract, its row locked until the transaction ends; None if there is none."""
    row = session.get(ContractRow, contract_id, with_for_update=True)
    if row is None:
        return None
    milestones = session.scalars(select(MilestoneRow).where(
        MilestoneRow.contract_id == contract_id).order_by(MilestoneRow.seq)).all()
    invoices = session.scalars(select(InvoiceRow).where(
        InvoiceRow.contract_id == contract_id).order_by(InvoiceRow.week_start)).all()
    # Held by the session, so that `_save` changes these rows instead of reading them again.
    session.info["loaded"] = [row, *milestones, *invoices]
    return contract_from_rows(row, map(milestone_from_row, milestones),
                              map(invoice_from_row, invoices))


def _unchanged(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether a row would be written as it is ("50.0" and "50.00" are stored differently)."""
    exact = {k: str(v) if isinstance(v, Decimal) else v for k, v in new.items()}
    return old is not None and exact == {
        k: str(v) if isinstance(v, Decimal) else v for k, v in old.items()}


def _save(session: Session, before: Contract | None, c: Contract) -> None:
    """Write the contract's changed rows, and only those (an event changes one milestone of
    many); milestones and invoices it no longer has go."""
    old = before.milestones if before else ()
    old_milestones = {m.seq: milestone_row(c.id, m) for m in old}
    old_invoices = {v.week_start: invoice_row(c.id, v) for v in (before.invoices if before else ())}
    row = contract_row(c)
    if not _unchanged(contract_row(before) if before else None, row):
        session.merge(ContractRow(**row))
    for m in c.milestones:
        row = milestone_row(c.id, m)
        if not _unchanged(old_milestones.get(m.seq), row):
            session.merge(MilestoneRow(**row))
    for v in c.invoices:
        row = invoice_row(c.id, v)
        if not _unchanged(old_invoices.get(v.week_start), row):
            session.merge(InvoiceRow(**row))
    if before is not None:
        for seq in {m.seq for m in before.milestones} - {m.seq for m in c.milestones}:
            session.delete(session.get_one(MilestoneRow, (c.id, seq)))
        for week in {v.week_start for v in before.invoices} - {v.week_start for v in c.invoices}:
            session.delete(session.get_one(InvoiceRow, (c.id, week)))


def _store_accounts(session: Session, change: ContractSnapshot) -> None:
    """Write the snapshot's accounts; both parties must then be known (else 404)."""
    for a in change.accounts:
        session.merge(AccountRow(**account_row(a)))
    for side, account_id in (("client", change.contract.client),
                             ("freelancer", change.contract.freelancer)):
        if session.get(AccountRow, account_id) is None:
            raise WebhookRejected(404, f"data.contract.{side}: {account_id!r} is not an account "
                                  "in this event or in the database")


def _apply_change(session: Session, change: ContractChange, now: datetime) -> None:
    if isinstance(change, ContractSnapshot):
        _store_accounts(session, change)
    before = load_contract(session, change.contract_id)
    after = changed_contract(before, change)
    if after != before:
        _save(session, before, after)
        notify_parties(session, after, notices(before, after, now), now)


def _store_link_code(session: Session, change: LinkCodeIssued, now: datetime) -> None:
    if session.get(AccountRow, change.account_id) is None:
        raise WebhookRejected(404, f"data.account_id: there is no account {change.account_id!r}")
    store_code(session, change.account_id, change.code, capped_expiry(change.expires_at, now))


class SqlEventStore:
    """Applies webhook events to the stored contracts, links and outbox."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def apply(self, event: Event, now: datetime) -> bool:
        """Apply the event once, in one transaction; False when its id was seen before.

        Raises `WebhookRejected` (404, 409) when it cannot apply: then nothing is stored,
        not even its id, so it applies when resent after the events it depends on.
        """
        with Session(self._engine) as session, session.begin():
            if not _record(session, event, now):
                return False
            if isinstance(event.change, LinkCodeIssued):
                _store_link_code(session, event.change, now)
            else:
                _apply_change(session, event.change, now)
        return True
