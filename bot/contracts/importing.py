"""Reading a contract import: a JSON document checked record by record into a `Dataset`.

Pure: text or a parsed document in, a `Dataset` out, or an `ImportProblem` naming the record
path (`contracts[3].milestones[1].status`) and the reason. The format is docs/contracts-import.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.contracts.model import (
    FUNDED_STATES,
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
from bot.contracts.records import ImportRecord, show
from bot.errors import ImportProblem
from bot.strict_json import NotJson, load_json

# Column sizes (bot/storage/models.py).
ID_LIMIT, NAME_LIMIT, TITLE_LIMIT = 64, 200, 300
HOURS_IN_A_WEEK = 168

_CURRENCY = re.compile(r"[A-Z]{3}")

_SUBMITTED_STATES = frozenset({
    MilestoneStatus.SUBMITTED, MilestoneStatus.CHANGES_REQUESTED, MilestoneStatus.APPROVED,
    MilestoneStatus.PAID, MilestoneStatus.REFUNDED,
})
_APPROVED_STATES = frozenset({MilestoneStatus.APPROVED, MilestoneStatus.PAID})
# A milestone's timestamps in the order they happen, each with the states that may have it.
_MILESTONE_STAMPS = (
    ("funded_at", FUNDED_STATES),
    ("submitted_at", _SUBMITTED_STATES),
    ("approved_at", _APPROVED_STATES),
    ("available_at", frozenset({MilestoneStatus.PAID})),
)

_ACCOUNT_KEYS = ("id", "name", "role")
_CONTRACT_KEYS = ("id", "title", "type", "client", "freelancer", "status", "started_at",
                  "ended_at", "currency", "milestones", "hourly")
_MILESTONE_KEYS = ("seq", "title", "amount", "due", "status", "funded_at", "submitted_at",
                   "approved_at", "available_at")
_HOURLY_KEYS = ("rate", "weekly_limit_hours", "invoices")
_INVOICE_KEYS = ("week_start", "hours", "amount", "status", "available_at")


def _unique(ids: list[Any], path: Callable[[int], str], what: str) -> None:
    first: dict[Any, int] = {}
    for index, value in enumerate(ids):
        if value in first:
            raise ImportProblem(path(index), f"{what} {show(value)} is already used by "
                                f"{path(first[value]).rsplit('.', 1)[0]}")
        first[value] = index


def read_account(value: object, path: str) -> Account:
    record = ImportRecord(value, path, _ACCOUNT_KEYS, "an account")
    return Account(record.text("id", ID_LIMIT), record.text("name", NAME_LIMIT),
                   record.enum("role", Role))


def read_milestone(value: object, path: str) -> Milestone:
    record = ImportRecord(value, path, _MILESTONE_KEYS, "a milestone")
    status = record.enum("status", MilestoneStatus)
    stamps: dict[str, datetime | None] = {}
    latest: tuple[str, datetime] | None = None
    for key, states in _MILESTONE_STAMPS:
        stamp = stamps[key] = record.maybe_when(key)
        if stamp is None:
            continue
        if status not in states:
            raise ImportProblem(record.at(key), f"{status.value!r} milestones have no {key}")
        if latest is not None and stamp < latest[1]:
            raise ImportProblem(record.at(key), f"{stamp.isoformat()} is before "
                                f"{latest[0]} ({latest[1].isoformat()})")
        latest = (key, stamp)
    return Milestone(
        seq=record.whole("seq", 1, 1_000_000_000), title=record.text("title", TITLE_LIMIT),
        amount=record.amount("amount"), status=status, due=record.maybe_when("due"), **stamps,
    )


def read_invoice(value: object, path: str) -> Invoice:
    record = ImportRecord(value, path, _INVOICE_KEYS, "an invoice")
    hours = record.amount("hours")
    if hours > HOURS_IN_A_WEEK:
        raise ImportProblem(record.at("hours"), f"{hours} is more than a week's {HOURS_IN_A_WEEK}")
    return Invoice(week_start=record.when("week_start"), hours=hours,
                   amount=record.amount("amount"), status=record.enum("status", InvoiceStatus),
                   available_at=record.maybe_when("available_at"))


def _milestones(record: ImportRecord) -> tuple[Milestone, ...]:
    if record.has("hourly"):
        raise ImportProblem(record.at("hourly"), "a fixed contract has milestones, not hourly")
    path = record.at("milestones")
    milestones = [read_milestone(m, f"{path}[{i}]")
                  for i, m in enumerate(record.items("milestones"))]
    _unique([m.seq for m in milestones], lambda i: f"{path}[{i}].seq", "seq")
    return tuple(sorted(milestones, key=lambda m: m.seq))


def _hourly(record: ImportRecord) -> tuple[Decimal, int | None, tuple[Invoice, ...]]:
    if record.has("milestones"):
        raise ImportProblem(record.at("milestones"),
                            "an hourly contract has no milestones; its weeks go in hourly.invoices")
    hourly = ImportRecord(record.get("hourly"), record.at("hourly"), _HOURLY_KEYS, "hourly terms")
    limit = (hourly.whole("weekly_limit_hours", 0, HOURS_IN_A_WEEK)
             if hourly.has("weekly_limit_hours") else None)
    path = hourly.at("invoices")
    invoices = [read_invoice(v, f"{path}[{i}]") for i, v in enumerate(hourly.items("invoices"))]
    _unique([v.week_start for v in invoices], lambda i: f"{path}[{i}].week_start", "week_start")
    return hourly.amount("rate"), limit, tuple(sorted(invoices, key=lambda v: v.week_start))


def read_contract(value: object, path: str) -> Contract:
    record = ImportRecord(value, path, _CONTRACT_KEYS, "a contract")
    contract_id, title = record.text("id", ID_LIMIT), record.text("title", TITLE_LIMIT)
    kind = record.enum("type", ContractType)
    client, freelancer = record.text("client", ID_LIMIT), record.text("freelancer", ID_LIMIT)
    if client == freelancer:
        raise ImportProblem(record.at("freelancer"), f"{freelancer!r} is also the client")
    status, started_at = record.enum("status", ContractStatus), record.when("started_at")
    ended_at = record.maybe_when("ended_at")
    if status is ContractStatus.ENDED and ended_at is None:
        raise ImportProblem(record.at("ended_at"), "required when status is 'ended'")
    if status is not ContractStatus.ENDED and ended_at is not None:
        raise ImportProblem(record.at("ended_at"), f"given, but status is {status.value!r}")
    if ended_at is not None and ended_at < started_at:
        raise ImportProblem(record.at("ended_at"), f"{ended_at.isoformat()} is before "
                            f"started_at ({started_at.isoformat()})")
    currency = record.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ImportProblem(record.at("currency"),
                            f"{show(currency)} is not a currency code such as USD")
    if kind is ContractType.FIXED:
        return Contract(contract_id, title, kind, client, freelancer, status, started_at,
                        currency, ended_at, milestones=_milestones(record))
    rate, limit, invoices = _hourly(record)
    return Contract(contract_id, title, kind, client, freelancer, status, started_at, currency,
                    ended_at, hourly_rate=rate, weekly_limit_hours=limit, invoices=invoices)


def dataset_from_mapping(doc: object) -> Dataset:
    """Check a parsed import document and convert it; raises `ImportProblem`."""
    top = ImportRecord(doc, "", ("accounts", "contracts"), "an import document")
    accounts = [read_account(a, f"accounts[{i}]")
                for i, a in enumerate(top.items("accounts") if top.has("accounts") else [])]
    _unique([a.id for a in accounts], lambda i: f"accounts[{i}].id", "id")
    contracts = [read_contract(c, f"contracts[{i}]")
                 for i, c in enumerate(top.items("contracts") if top.has("contracts") else [])]
    _unique([c.id for c in contracts], lambda i: f"contracts[{i}].id", "id")
    return Dataset(tuple(accounts), tuple(contracts))


def dataset_from_json(text: str) -> Dataset:
    """Parse and check a JSON import; syntax errors name the line and column."""
    try:
        doc = load_json(text)
    except NotJson as exc:
        raise ImportProblem(f"line {exc.line}, column {exc.column}",
                            f"not valid JSON: {exc.reason}") from None
    return dataset_from_mapping(doc)
