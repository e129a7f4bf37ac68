"""Queuing a contract's notices for its parties, each payment told available only once.

A `payment_available` notice is told by whoever gets there first: a webhook event that makes
the payment available, or the scan that notices its date has passed (`payment_scan`), in any
replica. Each marks the milestone or invoice in `told_payments` in the transaction that queues
the notice; a mark already there (or inserted meanwhile: the key conflicts) means it was told.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.contracts.model import Contract, Invoice, Milestone, Role
from bot.contracts.payment_notices import NOTIFICATION_TEMPLATE, Notice, notification_context
from bot.storage.models import LinkRow, ToldPaymentRow
from bot.storage.outbox_store import add_notification


def milestone_key(milestone: Milestone) -> str:
    return f"milestone:{milestone.seq}"


def invoice_key(invoice: Invoice) -> str:
    return f"invoice:{invoice.week_start.date().isoformat()}"


def _told_key(notice: Notice) -> str | None:
    if notice.event != "payment_available":
        return None
    if notice.milestone is not None:
        return milestone_key(notice.milestone)
    return invoice_key(notice.invoice) if notice.invoice is not None else None


def first_telling(session: Session, contract_id: str, notice: Notice, now: datetime) -> bool:
    """Whether the notice is told now: any but `payment_available` always is; that one only
    the first time for its milestone or invoice (the mark is written here)."""
    key = _told_key(notice)
    if key is None:
        return True
    if session.get(ToldPaymentRow, (contract_id, key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ToldPaymentRow(contract_id=contract_id, item=key, told_at=now))
    except IntegrityError:  # another replica, or a webhook, told it meanwhile
        return False
    return True


def notify_parties(session: Session, contract: Contract, found: Iterable[Notice],
                   now: datetime) -> int:
    """Queue each notice (not told before) for the parties' linked identities that have
    notifications on; returns how many notices were told."""
    told = [n for n in found if first_telling(session, contract.id, n, now)]
    if not told:
        return 0
    parties = {contract.client: Role.CLIENT, contract.freelancer: Role.FREELANCER}
    links = session.scalars(select(LinkRow).where(
        LinkRow.account_id.in_(parties), LinkRow.notify.is_(True)).order_by(LinkRow.identity))
    for link in links:
        for notice in told:
            context = notification_context(notice, contract, parties[link.account_id], now)
            add_notification(session, link.identity, link.platform, NOTIFICATION_TEMPLATE,
                             context, now)
    return len(told)
