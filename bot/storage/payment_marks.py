"""Queuing a contract's notices for its parties, each payment told available only once.

A `payment_available` notice is told by whoever gets there first: a webhook event that makes
the payment available, or the scan that notices its date has passed (`payment_scan`), in any
replica. Each marks the milestone or invoice in `told_payments` in the transaction that queues
the notice; a mark already there (or inserted meanwhile: the key conflicts) means it was told.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    JSON,
    Connection,
    Table,
    bindparam,
    case,
    insert,
    literal,
    select,
    type_coerce,
)

from bot.contracts.model import Contract, Role
from bot.contracts.payment_notices import NOTIFICATION_TEMPLATE, Notice, notification_context
from bot.storage.models import LinkRow, NotificationRow, ToldPaymentRow, UtcDateTime
from bot.storage.on_conflict import insert_new

LINKS: Table = LinkRow.__table__  # type: ignore[assignment]
TOLD: Table = ToldPaymentRow.__table__  # type: ignore[assignment]
NOTIFICATIONS: Table = NotificationRow.__table__  # type: ignore[assignment]

_NOW = bindparam("now", type_=UtcDateTime())
# One notice queued for every linked identity of the contract's parties that has notifications
# on, each with its party's context: one statement, in the order of the identities.
_QUEUE = insert(NOTIFICATIONS).from_select(
    ["identity", "platform", "template", "context", "status", "attempts", "created_at",
     "next_attempt_at"],
    select(LINKS.c.identity, LINKS.c.platform, literal(NOTIFICATION_TEMPLATE),
           case((LINKS.c.account_id == bindparam("client"),
                 type_coerce(bindparam("client_context"), JSON)),
                else_=type_coerce(bindparam("freelancer_context"), JSON)),
           literal("pending"), literal(0), _NOW, _NOW)
    .where(LINKS.c.account_id.in_([bindparam("client"), bindparam("freelancer")]),
           LINKS.c.notify.is_(True))
    .order_by(LINKS.c.identity))


def milestone_key(seq: int) -> str:
    """What a milestone's told payment is kept under, within its contract."""
    return f"milestone:{seq}"


def invoice_key(week_start: datetime) -> str:
    """What an invoice's told payment is kept under, within its contract."""
    return f"invoice:{week_start.date().isoformat()}"


def _told_key(notice: Notice) -> str | None:
    if notice.event != "payment_available":
        return None
    if notice.milestone is not None:
        return milestone_key(notice.milestone.seq)
    return invoice_key(notice.invoice.week_start) if notice.invoice is not None else None


def first_telling(conn: Connection, contract_id: str, notice: Notice, now: datetime) -> bool:
    """Whether the notice is told now: any but `payment_available` always is; that one only
    the first time for its milestone or invoice (the mark is written here; a mark already
    there, or inserted meanwhile by another replica or a webhook, means it was told)."""
    key = _told_key(notice)
    if key is None:
        return True
    marked = conn.execute(insert_new(conn, TOLD),
                          {"contract_id": contract_id, "item": key, "told_at": now})
    return marked.first() is not None


def notify_parties(conn: Connection, contract: Contract, found: Iterable[Notice],
                   now: datetime) -> int:
    """Queue each notice (not told before) for the parties' linked identities that have
    notifications on, due at once; returns how many notices were told."""
    told = [n for n in found if first_telling(conn, contract.id, n, now)]
    if told:
        conn.execute(_QUEUE, [{
            "client": contract.client, "freelancer": contract.freelancer, "now": now,
            "client_context": notification_context(n, contract, Role.CLIENT, now),
            "freelancer_context": notification_context(n, contract, Role.FREELANCER, now),
        } for n in told])
    return len(told)
