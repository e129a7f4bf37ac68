"""The marketplace's webhook events as the core's types, and reading each type's `data`.

Records inside `data` (contracts, accounts, milestones, invoices) are in the import format
(docs/contracts-import.md) and are checked by the import's own readers, so a problem is
reported the same way: the field's path (`data.milestone.status`) and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.contracts.importing import (
    ID_LIMIT,
    read_account,
    read_contract,
    read_invoice,
    read_milestone,
)
from bot.contracts.linking import CODE_LIFETIME, MIN_CODE_LENGTH, normalize_code
from bot.contracts.model import Account, Contract, Invoice, Milestone, MilestoneStatus
from bot.contracts.records import ImportRecord
from bot.errors import ImportProblem
from bot.redaction import CODE_ALPHABET

CODE_RULE = (f"a link code is at least {MIN_CODE_LENGTH} characters of {CODE_ALPHABET} "
             "(dashes and spaces aside)")


class EventType(StrEnum):
    CONTRACT_CREATED = "contract.created"
    CONTRACT_UPDATED = "contract.updated"
    CONTRACT_PARTIES_CHANGED = "contract.parties_changed"
    CONTRACT_ENDED = "contract.ended"
    MILESTONE_CREATED = "milestone.created"
    MILESTONE_FUNDED = "milestone.funded"
    MILESTONE_SUBMITTED = "milestone.submitted"
    MILESTONE_CHANGES_REQUESTED = "milestone.changes_requested"
    MILESTONE_APPROVED = "milestone.approved"
    MILESTONE_PAID = "milestone.paid"
    MILESTONE_REFUNDED = "milestone.refunded"
    MILESTONE_CANCELLED = "milestone.cancelled"
    HOURLY_INVOICE_UPDATED = "hourly_invoice.updated"
    LINK_CODE_ISSUED = "link_code.issued"


@dataclass(frozen=True)
class ContractSnapshot:
    """`contract.created`, `.updated` or `.parties_changed`: the whole contract, and accounts
    of its parties; only `parties_changed` may give a stored contract other parties."""

    contract: Contract
    accounts: tuple[Account, ...] = ()
    new_parties: bool = False

    @property
    def contract_id(self) -> str:
        return self.contract.id


@dataclass(frozen=True)
class ContractEnded:
    """`contract.ended`."""

    contract_id: str
    ended_at: datetime


@dataclass(frozen=True)
class MilestoneAdded:
    """`milestone.created`."""

    contract_id: str
    milestone: Milestone


@dataclass(frozen=True)
class MilestoneMoved:
    """`milestone.<status>`: the move to `status` at `at`; a paid one has `available_at`."""

    contract_id: str
    seq: int
    status: MilestoneStatus
    at: datetime
    available_at: datetime | None = None


@dataclass(frozen=True)
class InvoiceUpdated:
    """`hourly_invoice.updated`: one week's invoice, created or replaced."""

    contract_id: str
    invoice: Invoice


@dataclass(frozen=True)
class LinkCodeIssued:
    """`link_code.issued`: a one-time code the marketplace showed the account's owner."""

    account_id: str
    code: str = field(repr=False)
    expires_at: datetime


ContractChange = ContractSnapshot | ContractEnded | MilestoneAdded | MilestoneMoved | InvoiceUpdated
Change = ContractChange | LinkCodeIssued


@dataclass(frozen=True)
class Event:
    """One webhook event: its id (applied at most once), type, time and change."""

    id: str
    type: EventType
    time: datetime
    change: Change


def _data(value: object, kind: EventType, keys: tuple[str, ...]) -> ImportRecord:
    return ImportRecord(value, "data", keys, f"{kind.value} data")


def _snapshot(data: ImportRecord, new_parties: bool) -> ContractSnapshot:
    accounts = data.items("accounts") if data.has("accounts") else []
    contract = read_contract(data.get("contract"), data.at("contract"))
    read = tuple(read_account(a, f"{data.at('accounts')}[{i}]") for i, a in enumerate(accounts))
    for i, account in enumerate(read):
        if account.id not in (contract.client, contract.freelancer):
            raise ImportProblem(f"{data.at('accounts')}[{i}].id", f"{account.id!r} is not a "
                                f"party of contract {contract.id!r}: an event changes only its "
                                "own contract's client and freelancer")
    return ContractSnapshot(contract, read, new_parties)


def _moved(data: ImportRecord, status: MilestoneStatus, time: datetime) -> MilestoneMoved:
    paid = status is MilestoneStatus.PAID
    if data.has("available_at") and not paid:
        raise ImportProblem(data.at("available_at"), "only milestone.paid has available_at")
    return MilestoneMoved(
        data.text("contract_id", ID_LIMIT), data.whole("seq", 1, 1_000_000_000), status,
        data.maybe_when("at") or time, data.when("available_at") if paid else None,
    )


def _link_code(data: ImportRecord, time: datetime) -> LinkCodeIssued:
    code = normalize_code(data.text("code", ID_LIMIT))
    if len(code) < MIN_CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        raise ImportProblem(data.at("code"), CODE_RULE)
    latest = time + CODE_LIFETIME
    expires_at = data.maybe_when("expires_at") or latest
    if not time < expires_at <= latest:
        raise ImportProblem(data.at("expires_at"), f"{expires_at.isoformat()} is not within "
                            f"{CODE_LIFETIME.seconds // 60} minutes after the event's time")
    return LinkCodeIssued(data.text("account_id", ID_LIMIT), code, expires_at)


def read_change(kind: EventType, value: object, time: datetime) -> Change:
    """Check one event's `data` and convert it; raises `ImportProblem` naming `data.<field>`.

    `time` is the event's: the default for a transition's `at` and a link code's expiry.
    """
    if kind in (EventType.CONTRACT_CREATED, EventType.CONTRACT_UPDATED,
                EventType.CONTRACT_PARTIES_CHANGED):
        return _snapshot(_data(value, kind, ("contract", "accounts")),
                         new_parties=kind is EventType.CONTRACT_PARTIES_CHANGED)
    if kind is EventType.CONTRACT_ENDED:
        data = _data(value, kind, ("contract_id", "ended_at"))
        return ContractEnded(data.text("contract_id", ID_LIMIT), data.when("ended_at"))
    if kind is EventType.MILESTONE_CREATED:
        data = _data(value, kind, ("contract_id", "milestone"))
        return MilestoneAdded(data.text("contract_id", ID_LIMIT),
                              read_milestone(data.get("milestone"), data.at("milestone")))
    if kind is EventType.HOURLY_INVOICE_UPDATED:
        data = _data(value, kind, ("contract_id", "invoice"))
        return InvoiceUpdated(data.text("contract_id", ID_LIMIT),
                              read_invoice(data.get("invoice"), data.at("invoice")))
    if kind is EventType.LINK_CODE_ISSUED:
        return _link_code(_data(value, kind, ("account_id", "code", "expires_at")), time)
    status = MilestoneStatus(kind.value.removeprefix("milestone."))
    return _moved(_data(value, kind, ("contract_id", "seq", "at", "available_at")), status, time)
