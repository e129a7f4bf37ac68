"""Versioned FAQ writes on SQLAlchemy: optimistic concurrency, history, audit, revision.

A change updates the entry only `WHERE version = base`: of two moderators editing the same
version, the second finds no such row (PostgreSQL re-checks the condition after the first
commits; SQLite writes one at a time) and is told who changed it since.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Select, and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.audit import AuditRecord
from bot.errors import EditConflict, NotFound
from bot.faq.entries import FaqEntry
from bot.faq.history import Change, FaqVersion
from bot.storage.audit_store import add_audit
from bot.storage.faq_store import bump_revision, entry_of, record_version
from bot.storage.models import FaqEntryRow, FaqVersionRow


class _Stale(Exception):
    """The entry is no longer at the change's base version."""


def _version(row: FaqVersionRow) -> FaqVersion:
    entry = FaqEntry(id=row.entry_id, title=row.title, kind=row.kind, answer=row.answer,
                     alternates=tuple(row.alternates), tags=tuple(row.tags))
    return FaqVersion(entry, row.version, row.removed, row.author, row.reason, row.created_at)


def _newest() -> Select[FaqVersionRow]:
    """Each entry's version row for the version the entry is at."""
    return select(FaqVersionRow).join(FaqEntryRow, and_(
        FaqEntryRow.id == FaqVersionRow.entry_id, FaqEntryRow.version == FaqVersionRow.version))


class SqlFaqVersions:
    """Implements `bot.faq.history.FaqVersions`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def latest(self, entry_id: str) -> FaqVersion | None:
        """The newest version of an entry, removed or not."""
        with Session(self._engine) as session:
            row = session.scalars(_newest().where(FaqEntryRow.id == entry_id)).first()
            return _version(row) if row else None

    def all_latest(self) -> list[FaqVersion]:
        """The newest version of every entry, removed ones included, by id."""
        with Session(self._engine) as session:
            return [_version(r) for r in session.scalars(_newest().order_by(FaqEntryRow.id))]

    def history(self, entry_id: str) -> list[FaqVersion]:
        """Every version of an entry, oldest first."""
        with Session(self._engine) as session:
            rows = session.scalars(select(FaqVersionRow)
                                   .where(FaqVersionRow.entry_id == entry_id)
                                   .order_by(FaqVersionRow.version))
            return [_version(r) for r in rows]

    def version(self, entry_id: str, version: int) -> FaqVersion | None:
        """One version, or None."""
        with Session(self._engine) as session:
            row = session.get(FaqVersionRow, (entry_id, version))
            return _version(row) if row else None

    def write(self, changes: Sequence[Change], at: datetime,
              check: Callable[[Sequence[FaqEntry]], None]) -> list[FaqVersion]:
        """Entries, versions, audit records and revision in one transaction; a stale base
        refuses them all. Bumping the revision first makes FAQ writers take turns (it locks
        the revision row on PostgreSQL and the database on SQLite), so `check` sees every
        change committed before this one."""
        change = changes[0]
        try:
            with Session(self._engine) as session, session.begin():
                bump_revision(session)
                live = session.scalars(select(FaqEntryRow).where(FaqEntryRow.removed.is_(False)))
                check([entry_of(row) for row in live])
                saved = []
                for change in changes:
                    row = self._apply(session, change, at)
                    record_version(session, row, change.author, change.reason)
                    add_audit(session, AuditRecord(at, change.author, change.action,
                                                   change.entry.id, change.detail))
                    saved.append(FaqVersion(change.entry, row.version, change.removed,
                                            change.author, change.reason, at))
                return saved
        except (_Stale, IntegrityError):
            entry_id = change.entry.id
            newest = self.latest(entry_id)
            if newest is None:
                raise NotFound(f"There is no entry `{entry_id}`.") from None
            raise EditConflict(entry_id, change.base, newest.version, newest.author,
                               newest.reason) from None

    @staticmethod
    def _apply(session: Session, change: Change, at: datetime) -> FaqEntryRow:
        entry = change.entry
        values: dict[str, Any] = {
            "title": entry.title, "kind": entry.kind, "answer": entry.answer,
            "alternates": list(entry.alternates), "tags": list(entry.tags),
            "removed": change.removed, "updated_at": at, "version": change.base + 1,
        }
        if change.base == 0:
            row = FaqEntryRow(id=entry.id, seeded_hash=None, **values)
            session.add(row)
            session.flush()  # a concurrent creation of the same id fails here
            return row
        result = cast(CursorResult[Any], session.execute(
            update(FaqEntryRow)
            .where(FaqEntryRow.id == entry.id, FaqEntryRow.version == change.base)
            .values(**values)))
        if result.rowcount != 1:
            raise _Stale
        found = session.get(FaqEntryRow, entry.id)
        assert found is not None, "the row was just updated"
        return found
