"""The moderators table on SQLAlchemy; each change is audited in its transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.audit import AuditRecord
from bot.moderators import Moderator
from bot.storage.audit_store import add_audit
from bot.storage.models import ModeratorRow


class SqlModerators:
    """Implements `bot.moderators.Moderators`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def is_moderator(self, identity: str) -> bool:
        """Whether the identity is in the table."""
        with Session(self._engine) as session:
            return session.get(ModeratorRow, identity) is not None

    def add(self, identity: str, by: str, at: datetime) -> bool:
        """Add an identity; False if it was one already (or became one at the same moment)."""
        try:
            with Session(self._engine) as session, session.begin():
                if session.get(ModeratorRow, identity) is not None:
                    return False
                session.add(ModeratorRow(identity=identity, added_by=by, added_at=at))
                add_audit(session, AuditRecord(at, by, "moderator add", identity, "added"))
                return True
        except IntegrityError:
            return False

    def remove(self, identity: str, by: str, at: datetime) -> bool:
        """Remove an identity; False if it was none."""
        with Session(self._engine) as session, session.begin():
            row = session.get(ModeratorRow, identity, with_for_update=True)
            if row is None:
                return False
            session.delete(row)
            add_audit(session, AuditRecord(at, by, "moderator remove", identity, "removed"))
            return True

    def all(self) -> list[Moderator]:
        """Every moderator, by identity."""
        with Session(self._engine) as session:
            rows = session.scalars(select(ModeratorRow).order_by(ModeratorRow.identity))
            return [Moderator(r.identity, r.added_by, r.added_at) for r in rows]
