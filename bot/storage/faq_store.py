"""The FAQ store on SQLAlchemy: the live entries, seeded from the pack."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.faq import FaqEntry, StoredEntry, SyncReport, plan_sync
from bot.storage.models import FaqEntryRow


def _entry(row: FaqEntryRow) -> FaqEntry:
    return FaqEntry(
        id=row.id,
        title=row.title,
        kind=row.kind,
        answer=row.answer,
        alternates=tuple(row.alternates),
        tags=tuple(row.tags),
    )


class SqlFaqStore:
    """Implements `bot.faq.FaqStore`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def all_entries(self) -> list[FaqEntry]:
        """Every entry, ordered by id."""
        with Session(self._engine) as session:
            rows = session.scalars(select(FaqEntryRow).order_by(FaqEntryRow.id))
            return [_entry(r) for r in rows]

    def get(self, entry_id: str) -> FaqEntry | None:
        """One entry, or None."""
        with Session(self._engine) as session:
            row = session.get(FaqEntryRow, entry_id)
            return _entry(row) if row else None

    def sync(self, pack: Sequence[FaqEntry]) -> SyncReport:
        """Seed the pack in one transaction; entries changed in the database are left alone."""
        with Session(self._engine) as session, session.begin():
            rows = {r.id: r for r in session.scalars(select(FaqEntryRow).with_for_update())}
            stored = {i: StoredEntry(_entry(r), r.seeded_hash) for i, r in rows.items()}
            report = plan_sync(pack, stored)
            now = datetime.now(UTC)
            by_id = {e.id: e for e in pack}
            for entry_id in report.created + report.updated:
                entry = by_id[entry_id]
                row = rows.get(entry_id) or FaqEntryRow(id=entry_id)
                row.title, row.kind, row.answer = entry.title, entry.kind, entry.answer
                row.alternates, row.tags = list(entry.alternates), list(entry.tags)
                row.seeded_hash = entry.content_hash()
                row.updated_at = now
                session.add(row)
            return report
