"""Compute what the shipped pack needs for the semantic stage into knowledge/vectors.npz:
its phrasing vectors and the classifier fitted on them.

Run after changing the pack's phrasings (entries or out-of-scope subjects), from the repo
root:  .venv/bin/python tools/pack_vectors.py
A first start then reads them instead of embedding every phrasing and fitting; a phrasing
missing from the file is embedded at first start and kept in the database.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from bot.app import PACK_VECTORS, build_matcher
from bot.faq.embedding import load_encoder, locate_model
from bot.faq.knowledge_pack import load_pack
from bot.faq.semantic import PhrasingVectors, read_shipped, text_key, write_shipped
from bot.resources import knowledge_dir


class MemoryStore:
    """An `EmbeddingStore` that keeps what it is given."""

    def __init__(self) -> None:
        self.kept: dict[str, np.ndarray] = {}
        self.classifiers: dict[str, np.ndarray] = {}

    def vectors(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        return {k: self.kept[k] for k in keys if k in self.kept}

    def save(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        self.kept.update(vectors)

    def classifier(self, fingerprint: str) -> np.ndarray | None:
        return self.classifiers.get(fingerprint)

    def save_classifier(self, fingerprint: str, packed: np.ndarray) -> None:
        self.classifiers = {fingerprint: packed}


def main() -> int:
    folder = knowledge_dir()
    pack = load_pack(folder)
    encoder = load_encoder(replace(locate_model(), faster=None))  # the pinned file itself
    store = MemoryStore()
    store.kept.update(read_shipped(folder / PACK_VECTORS, encoder.model_id).vectors)
    reused = len(store.kept)
    start = time.perf_counter()
    # The same matcher a first start builds over the seeded pack, so the same fingerprint.
    build_matcher(pack.entries, pack, PhrasingVectors(encoder, store), "fused")
    phrasings = {p for e in pack.entries for p in (e.title, *e.alternates)}
    phrasings |= {p for e in pack.out_of_scope for p in e.phrasings}
    wanted = {text_key(p) for p in phrasings}
    vectors = {k: v for k, v in store.kept.items() if k in wanted}
    write_shipped(folder / PACK_VECTORS, encoder.model_id, vectors, store.classifiers)
    print(f"{len(vectors)} phrasing vectors ({len(vectors) - min(reused, len(vectors))} new) "
          f"and the classifier in {time.perf_counter() - start:.1f} s: "
          f"{folder / PACK_VECTORS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
