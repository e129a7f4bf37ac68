"""The domain vocabulary: synonyms folded onto one term, related terms added lightly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress

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
        """Synonym phrases with their canonical stems, by first stem, longest phrase first."""
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
