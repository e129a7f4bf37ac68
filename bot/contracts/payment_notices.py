"""What a contract change tells its parties: a milestone funded, paid or refunded; money available.

Notices follow from the difference between the stored contract and the contract after a
webhook event, so every event type, a whole-contract snapshot included, notifies the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.contracts.model import Contract, Invoice, Milestone, MilestoneStatus, Role
from bot.contracts.views import invoice_view, milestone_view, payment_stage

NOTIFICATION_TEMPLATE = "notification"

_MILESTONE_EVENTS = {
    MilestoneStatus.FUNDED: "milestone_funded",
    MilestoneStatus.PAID: "milestone_paid",
    MilestoneStatus.REFUNDED: "milestone_refunded",
}


@dataclass(frozen=True)
class Notice:
    """One thing to tell both parties of a contract, about one milestone or one invoice."""

    event: str  # milestone_funded | milestone_paid | milestone_refunded | payment_available
    milestone: Milestone | None = None
    invoice: Invoice | None = None


def _milestone_event(milestone: Milestone, now: datetime) -> str | None:
    if payment_stage(milestone, now) == "available":
        return "payment_available"
    return _MILESTONE_EVENTS.get(milestone.status)


def _available(invoice: Invoice, currency: str, now: datetime) -> bool:
    return bool(invoice_view(invoice, currency, now)["status"] == "available")


def notices(before: Contract | None, after: Contract, now: datetime) -> list[Notice]:
    """The notices a change from `before` (None: not stored) to `after` gives, at `now`.

    A milestone tells when it becomes funded, paid or refunded; paid with `available_at`
    already past, it tells that the payment is available. An invoice tells when it becomes
    available.
    """
    was = {m.seq: m.status for m in before.milestones} if before else {}
    found = [Notice(event, milestone=m) for m in after.milestones
             if was.get(m.seq) is not m.status and (event := _milestone_event(m, now))]
    old = {v.week_start: v for v in before.invoices} if before else {}
    for invoice in after.invoices:
        previous = old.get(invoice.week_start)
        if _available(invoice, after.currency, now) and not (
                previous and _available(previous, after.currency, now)):
            found.append(Notice("payment_available", invoice=invoice))
    return found


def notification_context(notice: Notice, contract: Contract, role: Role,
                         now: datetime) -> dict[str, Any]:
    """The `notification` template's context for one party: plain JSON, for the outbox."""
    return {
        "event": notice.event,
        "role": role.value,
        "contract": {"id": contract.id, "title": contract.title},
        "milestone": (milestone_view(notice.milestone, contract.currency, now)
                      if notice.milestone else None),
        "invoice": invoice_view(notice.invoice, contract.currency, now) if notice.invoice else None,
    }
