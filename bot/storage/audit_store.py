"""The audit log on SQLAlchemy; other stores add their records in their own transactions."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.audit import AuditRecord
from bot.storage.models import AuditRow


def add_audit(session: Session, record: AuditRecord) -> None:
    """Add a record in the caller's transaction, with the change it tells of."""
    session.add(AuditRow(at=record.at, actor=record.actor, action=record.action,
                         target=record.target, detail=record.detail))


class SqlAuditLog:
    """Implements `bot.audit.AuditLog`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def recent(self, limit: int) -> list[AuditRecord]:
        """The newest records, newest first."""
        with Session(self._engine) as session:
            rows = session.scalars(select(AuditRow)
                                   .order_by(AuditRow.at.desc(), AuditRow.id.desc())
                                   .limit(limit))
            return [AuditRecord(r.at, r.actor, r.action, r.target, r.detail) for r in rows]
