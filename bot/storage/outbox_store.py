"""The notification outbox on SQLAlchemy: rows written with the change they tell, claimed once.

A claim is one transaction: the rows are locked with `SELECT ... FOR UPDATE SKIP LOCKED`
(PostgreSQL; on SQLite, `BEGIN IMMEDIATE` holds the database's write lock instead), sent while
locked, and marked in the same transaction, so concurrent deliverers never send the same row.
The window that remains is at-least-once: a process that dies after a send and before its
commit leaves the row pending, and it is sent again. Keep batches small and senders' timeouts
short: the lock (on SQLite, every writer) waits for the whole batch.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, func, select
from sqlalchemy.orm import Session

from bot.delivery import Claim, Notification
from bot.storage.models import NotificationRow


def add_notification(
    session: Session,
    identity: str,
    platform: str,
    template: str,
    context: Mapping[str, Any],
    now: datetime,
) -> None:
    """Queue a notification inside the caller's transaction, due at once.

    `context` must be plain JSON (strings, numbers, lists, dicts), as `bot.contracts.views` makes.
    """
    session.add(
        NotificationRow(
            identity=identity,
            platform=platform,
            template=template,
            context=dict(context),
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
            delivered_at=None,
        )
    )


def _notification(row: NotificationRow) -> Notification:
    return Notification(row.id, row.identity, row.platform, row.template, row.context,
                        row.attempts)


class _SqlClaim:
    """Implements `bot.delivery.Claim` over rows locked by the open session."""

    def __init__(self, rows: Sequence[NotificationRow]) -> None:
        self._rows = {row.id: row for row in rows}
        self.notifications = [_notification(row) for row in rows]

    def delivered(self, notification_id: int, attempts: int, at: datetime) -> None:
        row = self._rows[notification_id]
        row.status, row.attempts, row.delivered_at = "delivered", attempts, at

    def retry(self, notification_id: int, attempts: int, at: datetime) -> None:
        row = self._rows[notification_id]
        row.attempts, row.next_attempt_at = attempts, at

    def failed(self, notification_id: int, attempts: int) -> None:
        row = self._rows[notification_id]
        row.status, row.attempts = "failed", attempts


class SqlOutbox:
    """Implements `bot.delivery.Outbox`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim_due(
        self, platforms: Collection[str], now: datetime, limit: int
    ) -> AbstractContextManager[Claim]:
        return self._claim(
            [NotificationRow.platform.in_(list(platforms)),
             NotificationRow.next_attempt_at <= now],
            limit,
        )

    def claim_for(self, identity: str) -> AbstractContextManager[Claim]:
        return self._claim([NotificationRow.identity == identity], None)

    @contextmanager
    def _claim(self, where: list[ColumnElement[bool]], limit: int | None) -> Iterator[Claim]:
        with Session(self._engine) as session, session.begin():
            rows = session.scalars(
                select(NotificationRow)
                .where(NotificationRow.status == "pending", *where)
                .order_by(NotificationRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            yield _SqlClaim(rows)

    def delete_for(self, identity: str) -> int:
        with Session(self._engine) as session, session.begin():
            result = session.execute(
                delete(NotificationRow).where(NotificationRow.identity == identity)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def backlog(self) -> tuple[int, datetime | None]:
        """How many notifications are pending, and when the oldest of them was written."""
        with Session(self._engine) as session:
            count, oldest = session.execute(
                select(func.count(), func.min(NotificationRow.created_at))
                .where(NotificationRow.status == "pending")
            ).one()
            return int(count), oldest
