"""The phrasing-vector cache on SQLAlchemy: implements `bot.faq.semantic.EmbeddingStore`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.models import PhrasingVectorRow, SemanticClassifierRow

_BATCH = 500  # keys per query: under SQLite's limit on bound parameters


class SqlVectorStore:
    """Vectors shared by every process on the database, so each phrasing is embedded once."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def vectors(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those of `keys` that have one."""
        found: dict[str, np.ndarray] = {}
        with Session(self._engine) as session:
            for start in range(0, len(keys), _BATCH):
                rows = session.execute(
                    select(PhrasingVectorRow.text_key, PhrasingVectorRow.vector).where(
                        PhrasingVectorRow.model == model_id,
                        PhrasingVectorRow.text_key.in_(keys[start : start + _BATCH])))
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def save(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Keep these vectors; a key another process stored meanwhile is left as it is."""
        rows = [{"model": model_id, "text_key": key,
                 "vector": np.asarray(v, dtype=np.float32).tobytes()}
                for key, v in vectors.items()]
        if not rows:
            return
        dialect = self._engine.dialect.name
        with Session(self._engine) as session, session.begin():
            if dialect not in ("postgresql", "sqlite"):  # another database: skip the keys it holds
                held = set(self.vectors(model_id, list(vectors)))
                rows = [r for r in rows if r["text_key"] not in held]
            for start in range(0, len(rows), _BATCH):
                batch = rows[start : start + _BATCH]
                if dialect == "postgresql":
                    session.execute(pg_insert(PhrasingVectorRow).on_conflict_do_nothing(), batch)
                elif dialect == "sqlite":
                    session.execute(sqlite_insert(PhrasingVectorRow).on_conflict_do_nothing(),
                                    batch)
                else:
                    session.execute(insert(PhrasingVectorRow), batch)

    def classifier(self, fingerprint: str) -> np.ndarray | None:
        """The packed classifier fitted under `fingerprint`, if kept."""
        with Session(self._engine) as session:
            row = session.get(SemanticClassifierRow, fingerprint)
            if row is None:
                return None
            return np.frombuffer(row.weights, dtype=np.float32).reshape(-1, row.classes)

    def save_classifier(self, fingerprint: str, packed: np.ndarray) -> None:
        """Keep this classifier in place of any other (an older one is an earlier FAQ's).
        Two processes that fitted the same one at once both succeed: the fit is
        deterministic, so whichever row stays is the same."""
        try:
            with Session(self._engine) as session, session.begin():
                session.execute(delete(SemanticClassifierRow))
                session.add(SemanticClassifierRow(
                    fingerprint=fingerprint, classes=int(packed.shape[1]),
                    weights=np.ascontiguousarray(packed, dtype=np.float32).tobytes()))
        except IntegrityError:
            pass  # another process kept this fingerprint meanwhile
