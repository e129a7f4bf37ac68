"""Contract data as reply context: plain JSON values (strings, numbers), worded by templates.

Contexts also go into the notification outbox as JSON, so amounts are decimal strings and
dates ISO strings; the `money` and `day` template filters format them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.contracts.model import Contract, Invoice, Milestone, MilestoneStatus, Role


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def payment_stage(milestone: Milestone, now: datetime) -> str | None:
    """`pending` or `available` for a paid milestone (Pending until `available_at`), else None."""
    if milestone.status is not MilestoneStatus.PAID:
        return None
    if milestone.available_at is not None and milestone.available_at > now:
        return "pending"
    return "available"


def milestone_view(milestone: Milestone, currency: str, now: datetime) -> dict[str, Any]:
    """One milestone: its state, amount and dates, and the payment stage when paid."""
    return {
        "seq": milestone.seq,
        "title": milestone.title,
        "amount": str(milestone.amount),
        "currency": currency,
        "status": milestone.status.value,
        "stage": payment_stage(milestone, now),
        "due": _iso(milestone.due),
        "funded_at": _iso(milestone.funded_at),
        "submitted_at": _iso(milestone.submitted_at),
        "approved_at": _iso(milestone.approved_at),
        "available_at": _iso(milestone.available_at),
    }


def invoice_view(invoice: Invoice, currency: str, now: datetime) -> dict[str, Any]:
    """One week of an hourly contract; a pending invoice past its date counts as available."""
    status = invoice.status.value
    if status == "pending" and invoice.available_at is not None and invoice.available_at <= now:
        status = "available"
    return {
        "week_start": _iso(invoice.week_start),
        "hours": str(invoice.hours),
        "amount": str(invoice.amount),
        "currency": currency,
        "status": status,
        "available_at": _iso(invoice.available_at),
    }


RECENT_WEEKS = 4  # the weeks of an hourly contract a status shows, newest first
_IN_FLIGHT = (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED,
              MilestoneStatus.CHANGES_REQUESTED, MilestoneStatus.NOT_FUNDED)


def highlights(contract: Contract) -> list[Milestone]:
    """Where a fixed-price contract stands: its latest payment, the milestone in hand and the
    next one, funded or not."""
    by_seq = sorted(contract.milestones, key=lambda m: m.seq)
    paid = [m for m in by_seq if m.status in (MilestoneStatus.APPROVED, MilestoneStatus.PAID)]
    open_ = [m for m in by_seq if m.status in _IN_FLIGHT]
    return paid[-1:] + open_[:2]


def _heading(contract: Contract, role: Role, now: datetime) -> dict[str, Any]:
    current = max(contract.invoices, key=lambda i: i.week_start, default=None)
    return {
        "id": contract.id,
        "title": contract.title,
        "type": contract.type.value,
        "status": contract.status.value,
        "role": role.value,
        "invoice": invoice_view(current, contract.currency, now) if current else None,
    }


def summary_view(contract: Contract, role: Role, now: datetime) -> dict[str, Any]:
    """A contract in a list: a few words, its latest payment and next milestone or invoice."""
    return _heading(contract, role, now) | {
        "highlights": [milestone_view(m, contract.currency, now) for m in highlights(contract)],
    }


def contract_view(contract: Contract, role: Role, now: datetime) -> dict[str, Any]:
    """A contract as its party `role` sees it: every milestone, or the current invoice."""
    return _heading(contract, role, now) | {
        "currency": contract.currency,
        "hourly_rate": str(contract.hourly_rate) if contract.hourly_rate is not None else None,
        "milestones": [milestone_view(m, contract.currency, now)
                       for m in sorted(contract.milestones, key=lambda m: m.seq)],
        "recent_invoices": [invoice_view(i, contract.currency, now) for i in
                            sorted(contract.invoices, key=lambda i: i.week_start,
                                   reverse=True)[:RECENT_WEEKS]],
    }
