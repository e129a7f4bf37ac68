"""The domain vocabulary: synonyms folded onto one term, related terms added lightly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, compress

import numpy as np

from bot.text import stem, stems, words

RELATED_WEIGHT = 0.35


@dataclass(frozen=True)
class Vocabulary:
    """Synonym phrases (as stem tuples) mapped to a canonical stem, and related stems.

    Built from `knowledge/vocabulary.yaml`; see `vocabulary_from_mapping` for its shape.
    """

    synonyms: Mapping[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    related: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def words(self) -> set[str]:
        """Every stem the vocabulary knows, for typo correction and indexing."""
        known: set[str] = set()
        for phrase, canonical in self.synonyms.items():
            known.update(phrase)
            known.update(canonical)
        for term, others in self.related.items():
            known.add(term)
            known.update(others)
        return known

    @cached_property
    def _by_head(self) -> dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]:
        """Synonym phrases with their canonical stems, by first stem, longest phrase first:
        `fold` looks further only at a token that starts a phrase."""
        heads: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for phrase in sorted(self.synonyms, key=len, reverse=True):
            heads.setdefault(phrase[0], []).append((phrase, self.synonyms[phrase]))
        return heads

    def fold(self, tokens: Iterable[str]) -> list[str]:
        """Replace each synonym phrase (longest first) by its canonical stems.

        Only tokens that start a synonym phrase are visited, found without a Python loop;
        the runs between them are copied whole.
        """
        seq = list(tokens)
        heads = self._by_head
        out: list[str] = []
        done = 0  # seq[:done] is folded into out
        for i in compress(range(len(seq)), map(heads.__contains__, seq)):
            if i < done:
                continue
            for phrase, canonical in heads[seq[i]]:
                if tuple(seq[i : i + len(phrase)]) == phrase:
                    out += seq[done:i]
                    out += canonical
                    done = i + len(phrase)
                    break
        return out + seq[done:] if done else seq

    def weigh(self, folded: Iterable[str]) -> dict[str, float]:
        """Already folded stems with weight 1, plus their related stems at a lower weight."""
        weights = dict.fromkeys(folded, 1.0)
        for token in list(filter(self.related.__contains__, weights)):
            for other in self.related[token]:
                weights.setdefault(other, RELATED_WEIGHT)
        return weights

    def fold_ids(self, seq: np.ndarray, ids: Mapping[str, int]) -> np.ndarray:
        """`fold` for many texts at once, on stem ids, with numpy: how the index folds a
        whole pack, where `fold` would loop in Python over every token.

        `seq` holds each text's stem ids followed by a separator id that no synonym uses;
        `ids` numbers every stem of the vocabulary.
        """
        phrases = sorted(self.synonyms, key=len)
        if not phrases or not len(seq):
            return seq
        size, which = _longest_matches(seq, [[ids[t] for t in p] for p in phrases])
        covered = _settle(size)
        emitted = np.ones(len(seq), dtype=np.int64)  # how many stems each position becomes
        emitted[covered] = 0
        folded = np.flatnonzero(size)
        canonical = [[ids[t] for t in self.synonyms[p]] for p in phrases]
        lengths = np.array([len(c) for c in canonical], dtype=np.int64)
        emitted[folded] = lengths[which[folded]]
        source = np.arange(len(seq))  # where they are: in seq, or among the canonical stems
        source[folded] = len(seq) + (np.cumsum(lengths) - lengths)[which[folded]]
        table = np.concatenate([seq, np.fromiter(chain.from_iterable(canonical), np.int64)])
        out: np.ndarray = table[spans(source, emitted)]
        return out

    def weigh_ids(
        self, docs: np.ndarray, tokens: np.ndarray, ids: Mapping[str, int]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`weigh` for many texts at once: from distinct (document, stem id) pairs, the same
        pairs with weight 1 plus their related stems' pairs at `RELATED_WEIGHT`, as
        (documents, stem ids, weights) sorted by document then stem id. `ids` numbers every
        stem of the vocabulary."""
        n_ids = len(ids)
        others = [[ids[o] for o in self.related.get(t, ())] for t in ids]
        counts = np.array([len(o) for o in others], dtype=np.int64)
        related = np.array([o for group in others for o in group], dtype=np.int64)
        found = spans((np.cumsum(counts) - counts)[tokens], counts[tokens])
        owner = np.repeat(np.arange(len(tokens)), counts[tokens])
        # Pairs doubled, odd for a related stem: sorted, a pair's first mark says its weight.
        marks = np.sort(np.concatenate([
            (docs * n_ids + tokens) * 2, (docs[owner] * n_ids + related[found]) * 2 + 1
        ]))
        firsts = marks[np.diff(marks >> 1, prepend=-1) != 0]
        weights = np.where(firsts & 1, RELATED_WEIGHT, 1.0)
        out_docs, out_tokens = np.divmod(firsts >> 1, max(n_ids, 1))
        return out_docs, out_tokens, weights


def _longest_matches(seq: np.ndarray, phrases: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """At each position of `seq`, the size of the longest of `phrases` (sorted by size) that
    starts there, 0 for none, and which one it is.

    Each phrase is looked for among the positions of the phrases' first stems at once; a
    text's separator keeps a phrase from running past its text's end, and `seq`'s end.
    """
    candidates = np.flatnonzero(np.isin(seq, [p[0] for p in phrases]))
    heads = seq[candidates]
    size = np.zeros(len(seq), dtype=np.int64)
    which = np.zeros(len(seq), dtype=np.int64)
    for k, phrase in enumerate(phrases):  # a longer phrase overwrites a shorter one
        at = candidates[heads == phrase[0]]
        for offset, stem_id in enumerate(phrase[1:], start=1):
            at = at[seq[at + offset] == stem_id]
        size[at] = len(phrase)
        which[at] = k
    return size, which


def _settle(size: np.ndarray) -> np.ndarray:
    """Of the matches starting at each position (`size`, changed in place), drop those that
    start inside a multi-stem match kept before them, as `fold` reads left to right; the
    positions covered by the kept ones, past their first."""
    taken: list[int] = []
    done = 0
    multi = np.flatnonzero(size > 1)
    for at, n in zip(multi.tolist(), size[multi].tolist(), strict=True):
        if at >= done:
            taken.append(at)
            done = at + n
    starts = np.array(taken, dtype=np.int64)
    covered = spans(starts + 1, size[starts] - 1)
    size[covered] = 0
    return covered


def spans(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions of spans given by their starts and lengths, one span after the other."""
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    positions: np.ndarray = np.arange(total) + np.repeat(starts - ends + lengths, lengths)
    return positions


def vocabulary_from_mapping(data: Mapping[str, object], source: str = "vocabulary") -> Vocabulary:
    """Build a vocabulary from `{"synonyms": {term: [phrase, ...]}, "related": {term: [...]}}`."""
    from bot.errors import KnowledgeError

    unknown = set(data) - {"synonyms", "related"}
    if unknown:
        raise KnowledgeError(source, f"unknown keys {sorted(unknown)} (expected synonyms, related)")
    synonyms: dict[tuple[str, ...], tuple[str, ...]] = {}
    related: dict[str, tuple[str, ...]] = {}
    for section in ("synonyms", "related"):
        groups = data.get(section) or {}
        if not isinstance(groups, dict):
            raise KnowledgeError(source, f"{section} must map each term to a list of phrases")
        for term, phrases in groups.items():
            if not isinstance(term, str) or not isinstance(phrases, list) or not all(
                isinstance(p, str) for p in phrases
            ):
                raise KnowledgeError(source, f"{section}.{term}: must be a list of phrases")
            canonical = tuple(stems(term))
            if not canonical:
                raise KnowledgeError(source, f"{section}.{term}: the term has no content words")
            if section == "synonyms":
                for phrase in phrases:
                    key = tuple(stem(w) for w in words(phrase))
                    if key and key != canonical:
                        previous = synonyms.get(key)
                        if previous is not None and previous != canonical:
                            raise KnowledgeError(
                                source,
                                f"synonyms: {phrase!r} is listed under both "
                                f"{' '.join(previous)!r} and {term!r}",
                            )
                        synonyms[key] = canonical
            else:
                for head in canonical[:1]:
                    extra = tuple(s for p in phrases for s in stems(p) if s != head)
                    related[head] = tuple(dict.fromkeys(related.get(head, ()) + extra))
    return Vocabulary(synonyms=synonyms, related=related)
