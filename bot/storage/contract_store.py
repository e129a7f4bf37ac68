"""Contracts on SQLAlchemy: an account's contracts, and importing a `Dataset` in bulk.

The import is one transaction of batched statements (no ORM objects): it reads the stored rows
of the file's records, writes only the new and changed ones with the dialect's upsert, and
removes the milestones and invoices of the file's contracts that the file no longer lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    delete,
    or_,
    select,
)

from bot.contracts.model import (
    Account,
    Contract,
    ContractStatus,
    ContractType,
    Dataset,
    Invoice,
    InvoiceStatus,
    Milestone,
    MilestoneStatus,
    Role,
)
from bot.errors import ImportProblem
from bot.storage.models import AccountRow, ContractRow, InvoiceRow, MilestoneRow
from bot.storage.on_conflict import upsert

Row = dict[str, Any]
T = TypeVar("T")
Progress = Callable[[int, int], None]

ACCOUNTS: Table = AccountRow.__table__  # type: ignore[assignment]
CONTRACTS: Table = ContractRow.__table__  # type: ignore[assignment]
MILESTONES: Table = MilestoneRow.__table__  # type: ignore[assignment]
INVOICES: Table = InvoiceRow.__table__  # type: ignore[assignment]
# Contracts per batch (one IN list each) and, roughly, milestones and invoices per batch.
CONTRACT_BATCH, CHILD_BATCH = 500, 5_000


@dataclass(frozen=True)
class RecordCounts:
    """What an import did to one kind of record."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __add__(self, other: RecordCounts) -> RecordCounts:
        return RecordCounts(*(getattr(self, f.name) + getattr(other, f.name)
                              for f in fields(self)))


@dataclass(frozen=True)
class ImportReport:
    """What an import did, per kind of record."""

    accounts: RecordCounts
    contracts: RecordCounts
    milestones: RecordCounts
    invoices: RecordCounts

    def total(self) -> RecordCounts:
        """All kinds together."""
        return self.accounts + self.contracts + self.milestones + self.invoices


def account_row(account: Account) -> Row:
    return {"id": account.id, "name": account.name, "role": account.role.value}


def contract_row(c: Contract) -> Row:
    return {"id": c.id, "title": c.title, "type": c.type.value, "client_id": c.client,
            "freelancer_id": c.freelancer, "status": c.status.value, "started_at": c.started_at,
            "ended_at": c.ended_at, "currency": c.currency, "hourly_rate": c.hourly_rate,
            "weekly_limit_hours": c.weekly_limit_hours}


def milestone_row(contract_id: str, m: Milestone) -> Row:
    return {"contract_id": contract_id, "seq": m.seq, "title": m.title, "amount": m.amount,
            "status": m.status.value, "due": m.due, "funded_at": m.funded_at,
            "submitted_at": m.submitted_at, "approved_at": m.approved_at,
            "available_at": m.available_at}


def invoice_row(contract_id: str, v: Invoice) -> Row:
    return {"contract_id": contract_id, "week_start": v.week_start, "hours": v.hours,
            "amount": v.amount, "status": v.status.value, "available_at": v.available_at}


def exact(value: Any) -> Any:
    """A column's value as it is stored, for telling whether a row changed."""
    # Decimal("50.0") == Decimal("50.00"), but the stored text differs.
    return str(value) if isinstance(value, Decimal) else value


def _sync(conn: Connection, table: Any, rows: list[Row], stored: Iterable[Sequence[Any]],
          remove_missing: bool) -> RecordCounts:
    """Write `rows` that are new or differ from `stored` (rows of the same table, in its
    column order); with `remove_missing`, delete stored rows whose key is not in `rows`."""
    columns = [c.name for c in table.columns]
    keys = [c.name for c in table.primary_key.columns]
    key_at = [columns.index(k) for k in keys]
    before = {tuple(r[i] for i in key_at): tuple(map(exact, r)) for r in stored}
    seen: set[tuple[Any, ...]] = set()
    changed: list[Row] = []
    created = 0
    for row in rows:
        key = tuple(row[k] for k in keys)
        seen.add(key)
        old = before.get(key)
        if old is None:
            created += 1
            changed.append(row)
        elif old != tuple(exact(row[c]) for c in columns):
            changed.append(row)
    gone = [dict(zip(keys, k, strict=True)) for k in before if k not in seen] \
        if remove_missing else []
    if gone:
        match = and_(*(table.c[k] == bindparam(f"old_{k}") for k in keys))
        conn.execute(delete(table).where(match),
                     [{f"old_{k}": v for k, v in g.items()} for g in gone])
    if changed:
        conn.execute(upsert(conn, table), changed)
    return RecordCounts(created, len(changed) - created, len(rows) - len(changed), len(gone))


def _batches(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """`values` in slices short enough for one IN clause."""
    for start in range(0, len(values), CONTRACT_BATCH):
        yield values[start:start + CONTRACT_BATCH]


def _stored(conn: Connection, column: Any, values: Sequence[Any]) -> Sequence[Sequence[Any]]:
    """The stored rows of `column`'s table whose `column` is one of `values`."""
    return conn.execute(select(column.table).where(column.in_(values))).all()


def _check_parties(conn: Connection, dataset: Dataset) -> None:
    in_file = {a.id for a in dataset.accounts}
    wanted = sorted({p for c in dataset.contracts for p in (c.client, c.freelancer)} - in_file)
    known = set(in_file)
    for batch in _batches(wanted):
        known.update(conn.scalars(select(ACCOUNTS.c.id).where(ACCOUNTS.c.id.in_(batch))))
    for i, contract in enumerate(dataset.contracts):
        for side, account_id in (("client", contract.client),
                                 ("freelancer", contract.freelancer)):
            if account_id not in known:
                raise ImportProblem(f"contracts[{i}].{side}",
                                    f"{account_id!r} is not an account in this file "
                                    "or in the database")


def _contract_batches(contracts: Sequence[Contract]) -> Iterator[list[Contract]]:
    batch: list[Contract] = []
    children = 0
    for contract in contracts:
        batch.append(contract)
        children += len(contract.milestones) + len(contract.invoices)
        if len(batch) >= CONTRACT_BATCH or children >= CHILD_BATCH:
            yield batch
            batch, children = [], 0
    if batch:
        yield batch


def _import_batch(
    conn: Connection, batch: Sequence[Contract],
) -> tuple[RecordCounts, RecordCounts, RecordCounts]:
    """Sync a batch of contracts, then their milestones, then their invoices."""
    ids = [c.id for c in batch]
    return (
        _sync(conn, CONTRACTS, [contract_row(c) for c in batch],
              _stored(conn, CONTRACTS.c.id, ids), remove_missing=False),
        _sync(conn, MILESTONES, [milestone_row(c.id, m) for c in batch for m in c.milestones],
              _stored(conn, MILESTONES.c.contract_id, ids), remove_missing=True),
        _sync(conn, INVOICES, [invoice_row(c.id, v) for c in batch for v in c.invoices],
              _stored(conn, INVOICES.c.contract_id, ids), remove_missing=True),
    )


def milestone_from_row(row: Any) -> Milestone:
    return Milestone(row.seq, row.title, row.amount, MilestoneStatus(row.status), row.due,
                     row.funded_at, row.submitted_at, row.approved_at, row.available_at)


def invoice_from_row(row: Any) -> Invoice:
    return Invoice(row.week_start, row.hours, row.amount, InvoiceStatus(row.status),
                   row.available_at)


def contract_from_rows(row: Any, milestones: Iterable[Milestone],
                       invoices: Iterable[Invoice]) -> Contract:
    """A contract from its stored row and its already-read milestones and invoices."""
    return Contract(row.id, row.title, ContractType(row.type), row.client_id, row.freelancer_id,
                    ContractStatus(row.status), row.started_at, row.currency, row.ended_at,
                    tuple(milestones), row.hourly_rate, row.weekly_limit_hours, tuple(invoices))


class SqlContractStore:
    """Implements `bot.contracts.model.ContractLookup`, plus single lookups and the bulk import."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def contracts_of(self, account_id: str) -> list[Contract]:
        """Every contract where the account is the client or the freelancer, newest first."""
        return self._contracts(or_(CONTRACTS.c.client_id == account_id,
                                   CONTRACTS.c.freelancer_id == account_id))

    def contract(self, contract_id: str) -> Contract | None:
        """One contract with its milestones or invoices, or None."""
        found = self._contracts(CONTRACTS.c.id == contract_id)
        return found[0] if found else None

    def account(self, account_id: str) -> Account | None:
        """One account, or None."""
        with self._engine.connect() as conn:
            row = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.id == account_id)).first()
        return Account(row.id, row.name, Role(row.role)) if row else None

    def names_of(self, account_ids: Sequence[str]) -> dict[str, str]:
        """The names of these accounts; ids without an account are left out."""
        if not account_ids:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(select(ACCOUNTS.c.id, ACCOUNTS.c.name)
                                .where(ACCOUNTS.c.id.in_(list(account_ids)))).all()
        return {row.id: row.name for row in rows}

    def _contracts(self, where: ColumnElement[bool]) -> list[Contract]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(CONTRACTS).where(where).order_by(
                CONTRACTS.c.started_at.desc(), CONTRACTS.c.id)).all()
            ids = select(CONTRACTS.c.id).where(where)
            milestones: dict[str, list[Milestone]] = defaultdict(list)
            for m in conn.execute(select(MILESTONES).where(MILESTONES.c.contract_id.in_(ids))
                                  .order_by(MILESTONES.c.seq)):
                milestones[m.contract_id].append(milestone_from_row(m))
            invoices: dict[str, list[Invoice]] = defaultdict(list)
            for v in conn.execute(select(INVOICES).where(INVOICES.c.contract_id.in_(ids))
                                  .order_by(INVOICES.c.week_start)):
                invoices[v.contract_id].append(invoice_from_row(v))
        return [contract_from_rows(r, milestones[r.id], invoices[r.id]) for r in rows]

    def import_dataset(self, dataset: Dataset, progress: Progress | None = None) -> ImportReport:
        """Create or update every record of the dataset in one transaction: all or nothing.

        A contract's stored milestones and invoices become exactly the dataset's. A contract
        party that is neither in the dataset nor stored raises `ImportProblem` naming it.
        """
        tell = progress or (lambda done, total: None)
        total = (len(dataset.accounts) + len(dataset.contracts) + dataset.milestone_count
                 + sum(len(c.invoices) for c in dataset.contracts))
        done = 0
        with self._engine.begin() as conn:
            _check_parties(conn, dataset)
            accounts = RecordCounts()
            for accounts_batch in _batches(dataset.accounts):
                accounts += _sync(conn, ACCOUNTS, [account_row(a) for a in accounts_batch],
                                  _stored(conn, ACCOUNTS.c.id, [a.id for a in accounts_batch]),
                                  remove_missing=False)
                done += len(accounts_batch)
                tell(done, total)
            contracts = milestones = invoices = RecordCounts()
            for batch in _contract_batches(dataset.contracts):
                c, m, v = _import_batch(conn, batch)
                contracts, milestones, invoices = contracts + c, milestones + m, invoices + v
                done += sum(1 + len(k.milestones) + len(k.invoices) for k in batch)
                tell(done, total)
        return ImportReport(accounts, contracts, milestones, invoices)
