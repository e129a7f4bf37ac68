"""The moderators' hand-off queue on SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, bindparam, delete, insert, or_, select
from sqlalchemy.orm import Session

from bot.handoff import OFFER_LIFETIME, Closing, Handoff
from bot.redaction import scrubbed
from bot.storage.audit_store import add_audit
from bot.storage.models import HandoffRow
from bot.storage.outbox_store import add_notification

# An offer is made for every declined question: two Core statements, built (compiled) once.
_FORGET_OFFERS = delete(HandoffRow).where(
    HandoffRow.status == "offered",
    or_(HandoffRow.user == bindparam("user"), HandoffRow.created_at < bindparam("expired")))
_OFFER = insert(HandoffRow)


def _handoff(row: HandoffRow) -> Handoff:
    return Handoff(
        id=row.id,
        user=row.user,
        platform=row.platform,
        channel_private=row.channel_private,
        question=row.question,
        status=row.status,
        created_at=row.created_at,
    )


class SqlHandoffStore:
    """Implements `bot.handoff.HandoffStore`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def offer(self, user: str, platform: str, channel_private: bool, question: str) -> None:
        """Remember a declined question, so that the member can pass it on with one word.

        An offer is kept no longer than it can be taken up: the member's earlier offer and
        everyone's expired ones are deleted, so that who asked which declined question is
        not kept beside the question log.
        """
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            conn.execute(_FORGET_OFFERS, {"user": user, "expired": now - OFFER_LIFETIME})
            conn.execute(_OFFER, {"user": user, "platform": platform,
                                  "channel_private": channel_private,
                                  "question": scrubbed(question), "status": "offered",
                                  "created_at": now})

    def queue_last_offer(self, user: str, within: timedelta) -> Handoff | None:
        """Move the member's latest offered question (if recent) into the moderators' queue."""
        since = datetime.now(UTC) - within
        with Session(self._engine) as session, session.begin():
            row = session.scalars(
                select(HandoffRow)
                .where(
                    HandoffRow.user == user,
                    HandoffRow.status == "offered",
                    HandoffRow.created_at >= since,
                )
                .order_by(HandoffRow.id.desc())
                .limit(1)
                .with_for_update()
            ).first()
            if row is None:
                return None
            row.status = "queued"
            row.queued_at = datetime.now(UTC)
            return _handoff(row)

    def withdraw(self, handoff_id: int) -> bool:
        """Put a queued hand-off back as the member's offer, offered now, so that asking again
        queues it once; False when it is not queued (a moderator closed it meanwhile)."""
        with Session(self._engine) as session, session.begin():
            row = _queued_row(session, handoff_id)
            if row is None:
                return False
            row.status = "offered"
            row.queued_at = None
            row.created_at = datetime.now(UTC)  # offered again now: its lifetime starts again
            return True

    def queued(self) -> list[Handoff]:
        """The moderators' queue, oldest first."""
        with Session(self._engine) as session:
            rows = session.scalars(
                select(HandoffRow).where(HandoffRow.status == "queued").order_by(HandoffRow.id)
            )
            return [_handoff(r) for r in rows]

    def get(self, handoff_id: int) -> Handoff | None:
        """One hand-off passed to the moderators (queued or closed), or None."""
        with Session(self._engine) as session:
            row = session.get(HandoffRow, handoff_id)
            return _handoff(row) if row is not None and row.status != "offered" else None

    def close(self, handoff_id: int, closing: Closing) -> Handoff | None:
        """Close a queued hand-off, with its audit record and the member's notification, in
        one transaction; None when it is not queued (another moderator closed it first)."""
        with Session(self._engine) as session, session.begin():
            row = _queued_row(session, handoff_id)
            if row is None:
                return None
            row.status = closing.status
            add_audit(session, closing.audit)
            if closing.notification is not None:
                template, context = closing.notification
                add_notification(session, row.user, row.platform, template, context,
                                 closing.audit.at)
            return _handoff(row)


def _queued_row(session: Session, handoff_id: int) -> HandoffRow | None:
    """The hand-off `handoff_id` if it is queued, locked until the transaction ends."""
    return session.scalars(
        select(HandoffRow)
        .where(HandoffRow.id == handoff_id, HandoffRow.status == "queued")
        .with_for_update()
    ).first()
