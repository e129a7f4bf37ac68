"""Members' contract data: accounts, contracts, milestones, hourly invoices, and their rules.

The states and rules are those of the marketplace's import format (docs/contracts-import.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    FREELANCER = "freelancer"
    CLIENT = "client"


class ContractType(StrEnum):
    FIXED = "fixed"
    HOURLY = "hourly"


class ContractStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class MilestoneStatus(StrEnum):
    NOT_FUNDED = "not_funded"
    FUNDED = "funded"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    PAID = "paid"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


class InvoiceStatus(StrEnum):
    IN_REVIEW = "in_review"
    PENDING = "pending"
    AVAILABLE = "available"
    DISPUTED = "disputed"


# Where a milestone may go next. Refunds return escrow, so they need money in escrow;
# cancelling is for a milestone that was never funded.
NEXT_STATUSES: dict[MilestoneStatus, frozenset[MilestoneStatus]] = {
    MilestoneStatus.NOT_FUNDED: frozenset({MilestoneStatus.FUNDED, MilestoneStatus.CANCELLED}),
    MilestoneStatus.FUNDED: frozenset({MilestoneStatus.SUBMITTED, MilestoneStatus.REFUNDED}),
    MilestoneStatus.SUBMITTED: frozenset({
        MilestoneStatus.CHANGES_REQUESTED, MilestoneStatus.APPROVED, MilestoneStatus.REFUNDED,
    }),
    MilestoneStatus.CHANGES_REQUESTED: frozenset({
        MilestoneStatus.SUBMITTED, MilestoneStatus.REFUNDED,
    }),
    MilestoneStatus.APPROVED: frozenset({MilestoneStatus.PAID}),
    MilestoneStatus.PAID: frozenset(),
    MilestoneStatus.REFUNDED: frozenset(),
    MilestoneStatus.CANCELLED: frozenset(),
}

# A milestone in these states has had money in escrow, so it has a funding date.
FUNDED_STATES = frozenset({
    MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED, MilestoneStatus.CHANGES_REQUESTED,
    MilestoneStatus.APPROVED, MilestoneStatus.PAID, MilestoneStatus.REFUNDED,
})


@dataclass(frozen=True)
class Account:
    """A marketplace account: a freelancer or a client."""

    id: str
    name: str
    role: Role


@dataclass(frozen=True)
class Milestone:
    """One milestone of a fixed-price contract."""

    seq: int
    title: str
    amount: Decimal
    status: MilestoneStatus
    due: datetime | None = None
    funded_at: datetime | None = None
    submitted_at: datetime | None = None
    approved_at: datetime | None = None
    available_at: datetime | None = None


@dataclass(frozen=True)
class Invoice:
    """One week of an hourly contract."""

    week_start: datetime
    hours: Decimal
    amount: Decimal
    status: InvoiceStatus
    available_at: datetime | None = None


@dataclass(frozen=True)
class Contract:
    """A contract between a client and a freelancer, with its milestones or invoices."""

    id: str
    title: str
    type: ContractType
    client: str
    freelancer: str
    status: ContractStatus
    started_at: datetime
    currency: str
    ended_at: datetime | None = None
    milestones: tuple[Milestone, ...] = ()
    hourly_rate: Decimal | None = None
    weekly_limit_hours: int | None = None
    invoices: tuple[Invoice, ...] = ()

    def role_of(self, account_id: str) -> Role | None:
        """The account's side of this contract, or None when it is not a party."""
        if account_id == self.freelancer:
            return Role.FREELANCER
        if account_id == self.client:
            return Role.CLIENT
        return None


@dataclass(frozen=True)
class Dataset:
    """A validated import: every account and contract of one file."""

    accounts: tuple[Account, ...]
    contracts: tuple[Contract, ...]

    @property
    def milestone_count(self) -> int:
        return sum(len(c.milestones) for c in self.contracts)


class ContractLookup(Protocol):
    """The read side the assistant needs: an account's own contracts, nothing else."""

    def contracts_of(self, account_id: str) -> Sequence[Contract]:
        """Every contract where the account is the client or the freelancer, newest first."""
        ...

    def names_of(self, account_ids: Sequence[str]) -> Mapping[str, str]:
        """The names of these accounts (the other parties on a member's own contracts)."""
        ...
