"""Webhook events applied with SQLAlchemy Core: each in one transaction, with its notifications.

The event's id is inserted first: an id already stored, or inserted meanwhile by another
replica (its primary key conflicts once that replica commits), makes the event a duplicate,
and nothing is applied. The contract's row is locked while it is read and changed.

No ORM objects: an event is a handful of statements built once (SQLAlchemy reuses their
compiled form); the ORM's session and unit of work took more than twice the CPU per event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, bindparam, delete, select
from sqlalchemy.orm import Session

from bot.contracts.changes import changed_contract
from bot.contracts.linking import capped_expiry
from bot.contracts.model import Contract, ContractType
from bot.contracts.payment_notices import notices
from bot.contracts.webhook_events import ContractChange, ContractSnapshot, Event, LinkCodeIssued
from bot.errors import WebhookRejected
from bot.storage.contract_store import (
    ACCOUNTS,
    CONTRACTS,
    INVOICES,
    MILESTONES,
    account_row,
    contract_from_rows,
    contract_row,
    exact,
    invoice_from_row,
    invoice_row,
    milestone_from_row,
    milestone_row,
)
from bot.storage.link_store import store_code
from bot.storage.models import WebhookEventRow
from bot.storage.on_conflict import insert_new, upsert
from bot.storage.payment_marks import notify_parties

EVENTS: Table = WebhookEventRow.__table__  # type: ignore[assignment]
T = TypeVar("T")

_CONTRACT = select(CONTRACTS).where(CONTRACTS.c.id == bindparam("id")).with_for_update()
_MILESTONES = select(MILESTONES).where(
    MILESTONES.c.contract_id == bindparam("id")).order_by(MILESTONES.c.seq)
_INVOICES = select(INVOICES).where(
    INVOICES.c.contract_id == bindparam("id")).order_by(INVOICES.c.week_start)
_KNOWN_ACCOUNTS = select(ACCOUNTS.c.id).where(ACCOUNTS.c.id.in_(bindparam("ids", expanding=True)))
_DELETE_MILESTONE = delete(MILESTONES).where(MILESTONES.c.contract_id == bindparam("c"),
                                             MILESTONES.c.seq == bindparam("k"))
_DELETE_INVOICE = delete(INVOICES).where(INVOICES.c.contract_id == bindparam("c"),
                                         INVOICES.c.week_start == bindparam("k"))


def _record(conn: Connection, event: Event, now: datetime) -> bool:
    """Insert the event's id; False when it is already there (PostgreSQL waits for another
    replica inserting the same id, then inserts nothing if it committed)."""
    inserted = conn.execute(insert_new(conn, EVENTS),
                            {"id": event.id, "type": event.type.value, "received_at": now})
    return inserted.first() is not None


def load_contract(conn: Connection, contract_id: str) -> Contract | None:
    """A stored contract, its row locked until the transaction ends; None if there is none.

    A fixed-price contract has only milestones and an hourly one only invoices (the import
    and `_save` keep it so), so only the one kind is read. They are read after the lock, not
    joined to its SELECT: on PostgreSQL a SELECT that waited for the lock would return the
    joined rows as they were before the other transaction committed.
    """
    row = conn.execute(_CONTRACT, {"id": contract_id}).first()
    if row is None:
        return None
    if row.type == ContractType.HOURLY.value:
        invoices = conn.execute(_INVOICES, {"id": contract_id})
        return contract_from_rows(row, (), map(invoice_from_row, invoices))
    milestones = conn.execute(_MILESTONES, {"id": contract_id})
    return contract_from_rows(row, map(milestone_from_row, milestones), ())


def _unchanged(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether a row would be written as it is ("50.0" and "50.00" are stored differently)."""
    return old is not None and {k: exact(v) for k, v in new.items()} == {
        k: exact(v) for k, v in old.items()}


def _changed_rows(old: dict[Any, T], new: dict[Any, T],
                  row: Callable[[T], dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of `new` items that differ from the `old` item of the same key; an item the
    change kept is the very object that was read, and is passed over at once."""
    return [r for key, item in new.items() if (was := old.get(key)) is not item
            and not _unchanged(None if was is None else row(was), r := row(item))]


def _write(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(upsert(conn, table), rows[0] if len(rows) == 1 else rows)


def _save(conn: Connection, before: Contract | None, c: Contract) -> None:
    """Write the contract's changed rows, and only those (an event changes one milestone of
    many); milestones and invoices it no longer has go."""
    old_milestones = {m.seq: m for m in (before.milestones if before else ())}
    old_invoices = {v.week_start: v for v in (before.invoices if before else ())}
    milestones = {m.seq: m for m in c.milestones}
    invoices = {v.week_start: v for v in c.invoices}
    row = contract_row(c)
    if not _unchanged(contract_row(before) if before else None, row):
        _write(conn, CONTRACTS, [row])
    _write(conn, MILESTONES, _changed_rows(old_milestones, milestones,
                                           lambda m: milestone_row(c.id, m)))
    _write(conn, INVOICES, _changed_rows(old_invoices, invoices, lambda v: invoice_row(c.id, v)))
    gone = sorted(old_milestones.keys() - milestones.keys())
    if gone:
        conn.execute(_DELETE_MILESTONE, [{"c": c.id, "k": k} for k in gone])
    gone_weeks = sorted(old_invoices.keys() - invoices.keys())
    if gone_weeks:
        conn.execute(_DELETE_INVOICE, [{"c": c.id, "k": k} for k in gone_weeks])


def _store_accounts(conn: Connection, change: ContractSnapshot) -> None:
    """Write the snapshot's accounts; both parties must then be known (else 404)."""
    _write(conn, ACCOUNTS, [account_row(a) for a in change.accounts])
    parties = (("client", change.contract.client), ("freelancer", change.contract.freelancer))
    known = set(conn.scalars(_KNOWN_ACCOUNTS, {"ids": [account for _, account in parties]}))
    for side, account_id in parties:
        if account_id not in known:
            raise WebhookRejected(404, f"data.contract.{side}: {account_id!r} is not an account "
                                  "in this event or in the database")


def _apply_change(conn: Connection, change: ContractChange, now: datetime) -> None:
    if isinstance(change, ContractSnapshot):
        _store_accounts(conn, change)
    before = load_contract(conn, change.contract_id)
    after = changed_contract(before, change)
    if after != before:
        _save(conn, before, after)
        notify_parties(conn, after, notices(before, after, now), now)


def _store_link_code(conn: Connection, change: LinkCodeIssued, now: datetime) -> None:
    if conn.scalar(_KNOWN_ACCOUNTS, {"ids": [change.account_id]}) is None:
        raise WebhookRejected(404, f"data.account_id: there is no account {change.account_id!r}")
    with Session(bind=conn) as session:  # joins the transaction, which commits it
        store_code(session, change.account_id, change.code,
                   capped_expiry(change.expires_at, now))
        session.flush()


class SqlEventStore:
    """Applies webhook events to the stored contracts, links and outbox."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def apply(self, event: Event, now: datetime) -> bool:
        """Apply the event once, in one transaction; False when its id was seen before.

        Raises `WebhookRejected` (404, 409) when it cannot apply: then nothing is stored,
        not even its id, so it applies when resent after the events it depends on.
        """
        with self._engine.begin() as conn:
            if not _record(conn, event, now):
                return False
            if isinstance(event.change, LinkCodeIssued):
                _store_link_code(conn, event.change, now)
            else:
                _apply_change(conn, event.change, now)
        return True
