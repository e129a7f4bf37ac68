"""The notification outbox on SQLAlchemy: rows written with the change they tell, claimed once.

A claim takes rows in a short transaction (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL;
on SQLite, `BEGIN IMMEDIATE` holds the write lock for that moment only) and marks them
`sending` with a lease, so that no other deliverer takes them while they are sent. The sends
happen outside any transaction: no lock, and on SQLite no writer, waits for a platform. When
the claim ends, a second short transaction records each outcome and gives back (as pending)
the rows the deliverer did not get to. A process that dies in between leaves its rows
`sending` until the lease ends; then they are due again and sent again: at least once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, delete, func, select, update
from sqlalchemy.orm import Session

from bot.delivery import Claim, Notification
from bot.storage.models import NotificationRow

# How long a claimed notification is left to its deliverer before another may take it: more
# than a batch of sends that each time out (50 x 30 s).
LEASE = timedelta(minutes=30)
_PENDING, _SENDING = "pending", "sending"


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
            status=_PENDING,
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
    """Implements `bot.delivery.Claim`: the outcomes, kept until the claim ends."""

    def __init__(self, rows: Sequence[NotificationRow]) -> None:
        self.notifications = [_notification(row) for row in rows]
        self.due = {row.id: row.next_attempt_at for row in rows}  # when each was due
        self.outcomes: dict[int, dict[str, Any]] = {}

    def delivered(self, notification_id: int, attempts: int, at: datetime) -> None:
        self.outcomes[notification_id] = {"status": "delivered", "attempts": attempts,
                                          "delivered_at": at}

    def retry(self, notification_id: int, attempts: int, at: datetime) -> None:
        self.outcomes[notification_id] = {"status": _PENDING, "attempts": attempts,
                                          "next_attempt_at": at}

    def failed(self, notification_id: int, attempts: int) -> None:
        self.outcomes[notification_id] = {"status": "failed", "attempts": attempts}

    def settle(self, conn: Connection) -> None:
        """Write the outcomes, and give back the rows without one, as they were."""
        for notification_id, due in self.due.items():
            values = self.outcomes.get(notification_id,
                                       {"status": _PENDING, "next_attempt_at": due})
            conn.execute(update(NotificationRow).where(
                NotificationRow.id == notification_id, NotificationRow.status == _SENDING,
            ).values(**values))


class SqlOutbox:
    """Implements `bot.delivery.Outbox`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim_due(
        self, platforms: Collection[str], now: datetime, limit: int
    ) -> AbstractContextManager[Claim]:
        # Due, or claimed by a deliverer whose lease ended (it died before giving them back).
        return self._claim(
            [NotificationRow.platform.in_(list(platforms)),
             NotificationRow.status.in_((_PENDING, _SENDING)),
             NotificationRow.next_attempt_at <= now],
            limit, now + LEASE,
        )

    def claim_for(self, identity: str) -> AbstractContextManager[Claim]:
        return self._claim(
            [NotificationRow.identity == identity, NotificationRow.status == _PENDING],
            None, datetime.now(UTC) + LEASE)

    @contextmanager
    def _claim(self, where: list[ColumnElement[bool]], limit: int | None,
               lease_until: datetime) -> Iterator[Claim]:
        with Session(self._engine) as session, session.begin():
            rows = session.scalars(
                select(NotificationRow)
                .where(*where)
                .order_by(NotificationRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            claim = _SqlClaim(rows)
            for row in rows:
                row.status, row.next_attempt_at = _SENDING, lease_until
        try:
            yield claim
        finally:
            if claim.due:
                with self._engine.begin() as conn:
                    claim.settle(conn)

    def delete_for(self, identity: str) -> int:
        with Session(self._engine) as session, session.begin():
            result = session.execute(
                delete(NotificationRow).where(NotificationRow.identity == identity)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def backlog(self) -> tuple[int, datetime | None]:
        """How many notifications are pending (or being sent), and when the oldest of them was
        written."""
        with Session(self._engine) as session:
            count, oldest = session.execute(
                select(func.count(), func.min(NotificationRow.created_at))
                .where(NotificationRow.status.in_((_PENDING, _SENDING)))
            ).one()
            return int(count), oldest
