"""A webhook change applied to a stored contract: the contract after it, or why it cannot be.

Pure. Milestones move only along `NEXT_STATUSES`; a change the contract already shows (the
same transition twice, a milestone created again with the same fields, a second end) leaves it
as it is, so the marketplace can resend without tripping over its own earlier events.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.contracts.model import (
    NEXT_STATUSES,
    Contract,
    ContractStatus,
    ContractType,
    Invoice,
    Milestone,
    MilestoneStatus,
)
from bot.contracts.webhook_events import (
    ContractChange,
    ContractEnded,
    ContractSnapshot,
    MilestoneAdded,
    MilestoneMoved,
)
from bot.errors import WebhookRejected

# The timestamp a transition sets, and the order a milestone's timestamps must keep.
_STAMP_OF = {
    MilestoneStatus.FUNDED: "funded_at",
    MilestoneStatus.SUBMITTED: "submitted_at",
    MilestoneStatus.APPROVED: "approved_at",
}
_STAMP_ORDER = ("funded_at", "submitted_at", "approved_at", "available_at")


def _ended(contract: Contract, change: ContractEnded) -> Contract:
    if contract.status is ContractStatus.ENDED:
        return contract
    if change.ended_at < contract.started_at:
        raise WebhookRejected(409, f"data.ended_at: {change.ended_at.isoformat()} is before the "
                              f"contract's started_at ({contract.started_at.isoformat()})")
    return replace(contract, status=ContractStatus.ENDED, ended_at=change.ended_at)


def _with_milestone(contract: Contract, milestone: Milestone) -> Contract:
    if contract.type is not ContractType.FIXED:
        raise WebhookRejected(409, f"data.contract_id: contract {contract.id!r} is hourly: "
                              "it has invoices, not milestones")
    stored = next((m for m in contract.milestones if m.seq == milestone.seq), None)
    if stored == milestone:
        return contract
    if stored is not None:
        raise WebhookRejected(409, f"data.milestone.seq: contract {contract.id!r} already has "
                              f"milestone {milestone.seq}; it changes by milestone.<status> or "
                              "contract.updated events")
    return replace(contract, milestones=tuple(
        sorted((*contract.milestones, milestone), key=lambda m: m.seq)))


def _check_stamps(milestone: Milestone) -> None:
    earlier: tuple[str, datetime] | None = None
    for key in _STAMP_ORDER:
        stamp: datetime | None = getattr(milestone, key)
        if stamp is None:
            continue
        if earlier is not None and stamp < earlier[1]:
            raise WebhookRejected(409, f"data: the milestone's {key} would be "
                                  f"{stamp.isoformat()}, before its {earlier[0]} "
                                  f"({earlier[1].isoformat()})")
        earlier = (key, stamp)


def _moved(contract: Contract, change: MilestoneMoved) -> Contract:
    stored = next((m for m in contract.milestones if m.seq == change.seq), None)
    if stored is None:
        raise WebhookRejected(404, f"data.seq: contract {contract.id!r} has no "
                              f"milestone {change.seq}")
    if stored.status is change.status:
        return contract
    allowed = NEXT_STATUSES[stored.status]
    if change.status not in allowed:
        can = ", ".join(sorted(s.value for s in allowed)) or "nothing: it is final"
        raise WebhookRejected(409, f"milestone {change.seq} of contract {contract.id!r} is "
                              f"{stored.status.value}; it cannot become {change.status.value} "
                              f"(it can become {can})")
    stamps = ({"available_at": change.available_at} if change.status is MilestoneStatus.PAID
              else {key: change.at} if (key := _STAMP_OF.get(change.status)) else {})
    moved = replace(stored, status=change.status, **stamps)
    _check_stamps(moved)
    return replace(contract, milestones=tuple(
        moved if m.seq == change.seq else m for m in contract.milestones))


def _with_invoice(contract: Contract, invoice: Invoice) -> Contract:
    if contract.type is not ContractType.HOURLY:
        raise WebhookRejected(409, f"data.contract_id: contract {contract.id!r} is fixed-price: "
                              "it has milestones, not invoices")
    others = (v for v in contract.invoices if v.week_start != invoice.week_start)
    return replace(contract, invoices=tuple(
        sorted((*others, invoice), key=lambda v: v.week_start)))


def _snapshot(stored: Contract | None, change: ContractSnapshot) -> Contract:
    after = change.contract
    if change.new_parties and stored is None:
        raise WebhookRejected(404, f"data.contract.id: there is no contract {after.id!r}")
    if stored is not None and not change.new_parties and (
            (stored.client, stored.freelancer) != (after.client, after.freelancer)):
        raise WebhookRejected(409, f"data.contract: contract {after.id!r} is between "
                              f"{stored.client!r} and {stored.freelancer!r}; a change of "
                              "parties is sent as a contract.parties_changed event")
    return after


def changed_contract(stored: Contract | None, change: ContractChange) -> Contract:
    """The contract after `change`; raises `WebhookRejected` (404, 409) when it cannot apply.

    A snapshot (`contract.created` or `.updated`) creates or replaces the contract whole,
    between the same parties; `contract.parties_changed` replaces a stored one with others.
    """
    if isinstance(change, ContractSnapshot):
        return _snapshot(stored, change)
    if stored is None:
        raise WebhookRejected(404, f"data.contract_id: there is no contract "
                              f"{change.contract_id!r}")
    if isinstance(change, ContractEnded):
        return _ended(stored, change)
    if isinstance(change, MilestoneAdded):
        return _with_milestone(stored, change.milestone)
    if isinstance(change, MilestoneMoved):
        return _moved(stored, change)
    return _with_invoice(stored, change.invoice)
