"""The FAQ store on SQLAlchemy: the live entries, seeded from the pack."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bot.faq.entries import FaqEntry, StoredEntry, SyncReport, plan_sync
from bot.storage.models import FaqEntryRow, FaqVersionRow, RevisionRow

SYNC_AUTHOR = "knowledge sync"


def bump_revision(session: Session) -> None:
    """Tell every process the FAQ changed (in the caller's transaction)."""
    session.execute(update(RevisionRow).where(RevisionRow.name == "faq")
                    .values(value=RevisionRow.value + 1))


def record_version(session: Session, row: FaqEntryRow, author: str, reason: str) -> None:
    """Append the row's current content to its history as version `row.version`."""
    session.add(FaqVersionRow(
        entry_id=row.id, version=row.version, title=row.title, kind=row.kind, answer=row.answer,
        alternates=list(row.alternates), tags=list(row.tags), removed=row.removed,
        author=author, reason=reason, created_at=row.updated_at,
    ))


def entry_of(row: FaqEntryRow) -> FaqEntry:
    return FaqEntry(
        id=row.id,
        title=row.title,
        kind=row.kind,
        answer=row.answer,
        alternates=tuple(row.alternates),
        tags=tuple(row.tags),
    )


class SqlFaqStore:
    """Implements `bot.faq.entries.FaqStore`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def all_entries(self) -> list[FaqEntry]:
        """Every live (not removed) entry, ordered by id."""
        with Session(self._engine) as session:
            rows = session.scalars(select(FaqEntryRow).where(~FaqEntryRow.removed)
                                   .order_by(FaqEntryRow.id))
            return [entry_of(r) for r in rows]

    def get(self, entry_id: str) -> FaqEntry | None:
        """One live entry, or None."""
        with Session(self._engine) as session:
            row = session.get(FaqEntryRow, entry_id)
            return entry_of(row) if row and not row.removed else None

    def is_empty(self) -> bool:
        """No entry at all, removed ones included: a database never seeded."""
        with Session(self._engine) as session:
            return session.scalars(select(FaqEntryRow.id).limit(1)).first() is None

    def revision(self) -> int:
        """The FAQ's revision counter: it moves with every change."""
        with Session(self._engine) as session:
            value = session.scalar(select(RevisionRow.value).where(RevisionRow.name == "faq"))
            return value or 0

    def plan(self, pack: Sequence[FaqEntry]) -> SyncReport:
        """What `sync` would do now, writing nothing."""
        with Session(self._engine) as session:
            stored = {r.id: StoredEntry(entry_of(r), r.seeded_hash, r.removed)
                      for r in session.scalars(select(FaqEntryRow))}
        return plan_sync(pack, stored)

    def sync(self, pack: Sequence[FaqEntry]) -> SyncReport:
        """Seed the pack in one transaction; entries changed in the database are left alone.

        Like every FAQ writer, it locks the revision first, so that writers queue in one order.
        """
        with Session(self._engine) as session, session.begin():
            session.execute(select(RevisionRow.value).where(RevisionRow.name == "faq")
                            .with_for_update())
            rows = {r.id: r for r in session.scalars(select(FaqEntryRow).with_for_update())}
            stored = {i: StoredEntry(entry_of(r), r.seeded_hash, r.removed)
                      for i, r in rows.items()}
            report = plan_sync(pack, stored)
            now = datetime.now(UTC)
            by_id = {e.id: e for e in pack}
            changed = False
            for entry_id in report.created + report.updated:
                entry = by_id[entry_id]
                row = rows.get(entry_id)
                if row is not None and entry_of(row) == entry:
                    row.seeded_hash = entry.content_hash()  # same content: only the mark moves
                    continue
                if row is None:
                    row = FaqEntryRow(id=entry_id, version=0, removed=False)
                    session.add(row)
                row.title, row.kind, row.answer = entry.title, entry.kind, entry.answer
                row.alternates, row.tags = list(entry.alternates), list(entry.tags)
                row.seeded_hash = entry.content_hash()
                row.updated_at = now
                row.version += 1
                record_version(session, row, SYNC_AUTHOR, "seeded from the knowledge pack")
                changed = True
            if changed:
                bump_revision(session)
            return report
