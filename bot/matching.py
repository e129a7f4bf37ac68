"""The intent matcher: which FAQ entries a message is about, with a score in [0, 1].

Two stages. A lexical stage scores every entry at once with IDF-weighted similarity on word
stems (synonyms folded, typos corrected with rapidfuzz): against each phrasing, and against
the entry's whole vocabulary (phrasings, tags and answer), for the whole message and for each
of its sentences. A fuzzy stage re-scores the few best entries with rapidfuzz's token-set
similarity against their phrasings. Words the pack never uses count against a match, which
is what lets off-topic questions that share a word or two with an entry fall below the
thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.policy import Scored
from bot.text import STOPWORDS, stem, units, words
from bot.vocabulary import Vocabulary

STOP_STEMS = frozenset(stem(w) for w in STOPWORDS)


@dataclass(frozen=True)
class IndexEntry:
    """What the matcher needs of an entry: its id, phrasings (title first), tags, answer."""

    entry_id: str
    phrasings: tuple[str, ...]
    tags: tuple[str, ...] = ()
    answer: str = ""
    in_scope: bool = True


@dataclass(frozen=True)
class MatchWeights:
    """How the matcher's signals combine; tuned on the dev set (README, "Matching")."""

    phrasing: float = 0.6  # best single phrasing, against the entry's whole vocabulary
    coverage: float = 0.5  # entry vocabulary: share of the question it covers vs cosine
    answer_words: float = 0.5  # a word found only in the answer counts this much
    fuzzy: float = 0.25  # share of the final score from rapidfuzz re-scoring
    unknown_word: float = 0.8  # weight of a word the pack never uses, relative to the rarest
    sentence: float = 0.95  # a single sentence of a longer post counts a little less
    typo_similarity: float = 0.8  # normalized edit similarity (transpositions count 1) for a typo
    candidates: int = 5  # entries re-scored by the fuzzy stage
    fuzzy_units: int = 3  # a long post's best-scoring sentences re-scored by rapidfuzz
    classifier: float = 0.5  # share of the naive Bayes posterior in the lexical score
    smoothing: float = 0.2  # naive Bayes additive smoothing
    answer_counts: float = 0.3  # naive Bayes: an answer's word counts this much of a phrasing's


Postings = dict[str, tuple[np.ndarray, np.ndarray]]


class Matcher:
    """Ranks entries for a message. Build once per knowledge revision; `rank` is pure."""

    def __init__(
        self,
        entries: Sequence[IndexEntry],
        vocabulary: Vocabulary,
        weights: MatchWeights = MatchWeights(),
    ) -> None:
        self._vocab = vocabulary
        self._w = weights
        self._ids = [e.entry_id for e in entries]
        self._in_scope = [e.in_scope for e in entries]
        known_words: set[str] = set(vocabulary.words())
        rows: list[dict[str, float]] = []
        self._row_text: list[str] = []
        starts: list[int] = []
        bags: list[dict[str, float]] = []
        class_counts: list[dict[str, float]] = []
        for entry in entries:
            starts.append(len(rows))
            counts: dict[str, float] = {}
            for phrase in (*entry.phrasings, " ".join(entry.tags)):
                phrase_words = words(phrase)
                known_words.update(phrase_words)
                weighted, folded = self._analyze(phrase_words)
                if weighted:
                    rows.append(weighted)
                    self._row_text.append(folded)
                    for token in weighted:
                        counts[token] = counts.get(token, 0.0) + 1.0
            if len(rows) == starts[-1]:  # an entry with no content words still gets a row
                rows.append({})
                self._row_text.append("")
            bag = {t: 1.0 + math.log(c) for t, c in counts.items()}
            for token in self._analyze(words(entry.answer))[0]:
                bag.setdefault(token, weights.answer_words)
                counts[token] = counts.get(token, 0.0) + weights.answer_counts
            bags.append(bag)
            class_counts.append(counts)
        self._starts = np.array(starts, dtype=np.int64)

        df: dict[str, int] = {}
        for bag in bags:
            for token in bag:
                df[token] = df.get(token, 0) + 1
        n = max(len(entries), 1)
        self._idf = {t: math.log(1.0 + n / d) for t, d in df.items()}
        self._unknown_idf = math.log(1.0 + n / 0.5) * weights.unknown_word
        self._known_words = sorted(w for w in known_words if w not in STOPWORDS)
        self._known = set(self._known_words)

        self._phrasing_postings = self._postings(rows, normalize=True)
        self._bag_postings = self._postings(bags, normalize=True)
        self._presence = self._postings(
            [{t: min(v, 1.0) for t, v in bag.items()} for bag in bags], normalize=False
        )
        alpha = weights.smoothing
        vocabulary_size = len(self._idf)
        self._likelihood: Postings = self._postings(
            [{t: math.log((c + alpha) / alpha) for t, c in c_.items()} for c_ in class_counts],
            normalize=False,
        )
        self._absent = np.array(
            [math.log(alpha / (sum(c.values()) + alpha * vocabulary_size)) for c in class_counts]
        )
        self._correct = lru_cache(maxsize=16384)(self._correct_word)

    def _analyze(self, raw_words: Iterable[str]) -> tuple[dict[str, float], str]:
        """Stems with synonyms folded and stopwords dropped, weighted; and as one string."""
        folded = [s for s in self._vocab.fold(stem(w) for w in raw_words) if s not in STOP_STEMS]
        return self._vocab.weigh(folded), " ".join(folded)

    def _postings(self, vectors: list[dict[str, float]], *, normalize: bool) -> Postings:
        lists: dict[str, tuple[list[int], list[float]]] = {}
        for i, vector in enumerate(vectors):
            if normalize:
                weighted = {t: v * self._idf[t] for t, v in vector.items()}
                norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
                weighted = {t: v / norm for t, v in weighted.items()}
            else:
                weighted = dict(vector)
            for t, v in weighted.items():
                ids, vals = lists.setdefault(t, ([], []))
                ids.append(i)
                vals.append(v)
        return {
            t: (np.array(ids, dtype=np.int64), np.array(vals, dtype=np.float64))
            for t, (ids, vals) in lists.items()
        }

    def _correct_word(self, word: str) -> str:
        """A known word for a misspelt one (`milstone` -> `milestone`), else the word."""
        if len(word) < 5 or word in self._known or stem(word) in self._idf:
            return word
        found = process.extractOne(
            word,
            self._known_words,
            scorer=OSA.normalized_similarity,
            score_cutoff=self._w.typo_similarity,
        )
        return str(found[0]) if found else word

    def _lexical(self, weighted: dict[str, float]) -> np.ndarray:
        n_entries = len(self._ids)
        phrasing = np.zeros(len(self._row_text))
        cosine = np.zeros(n_entries)
        covered = np.zeros(n_entries)
        log_likelihood = np.zeros(n_entries)
        known_weight = 0.0
        norm_sq = 0.0
        for token, weight in weighted.items():
            idf = self._idf.get(token)
            if idf is None:
                norm_sq += (weight * self._unknown_idf) ** 2
                continue
            q = weight * idf
            norm_sq += q * q
            if token in self._phrasing_postings:
                ids, vals = self._phrasing_postings[token]
                phrasing[ids] += q * vals
            ids, vals = self._bag_postings[token]
            cosine[ids] += q * vals
            ids, vals = self._presence[token]
            covered[ids] += q * q * vals
            ids, vals = self._likelihood[token]
            log_likelihood[ids] += weight * vals
            known_weight += weight
        if norm_sq == 0.0:
            return np.zeros(n_entries)
        norm = math.sqrt(norm_sq)
        best_phrasing = np.maximum.reduceat(phrasing, self._starts) / norm
        c = self._w.coverage
        entry_level = c * covered / norm_sq + (1.0 - c) * cosine / norm
        p = self._w.phrasing
        similarity = p * best_phrasing + (1.0 - p) * entry_level
        log_likelihood += known_weight * self._absent
        posterior = np.exp(log_likelihood - log_likelihood.max())
        posterior /= posterior.sum()
        b = self._w.classifier
        result: np.ndarray = (1.0 - b) * similarity + b * posterior * similarity.max()
        return result

    def _fuzzy(self, entries: list[int], folded_units: list[str]) -> np.ndarray:
        """rapidfuzz token-set similarity, best phrasing per (unit, entry), in one call."""
        bounds = [*self._starts.tolist(), len(self._row_text)]
        rows = [r for e in entries for r in range(bounds[e], bounds[e + 1])]
        matrix = process.cdist(
            folded_units, [self._row_text[r] for r in rows], scorer=fuzz.token_set_ratio,
            processor=None, dtype=np.float32,
        )
        offsets = np.cumsum([0] + [bounds[e + 1] - bounds[e] for e in entries])[:-1]
        best: np.ndarray = np.maximum.reduceat(matrix, offsets, axis=1) / 100.0
        return best

    def rank(self, text: str, limit: int = 5) -> list[Scored]:
        """The best `limit` entries for `text`, best first, scores in [0, 1]."""
        if not self._ids:
            return []
        best = np.zeros(len(self._ids))
        scored_units: list[tuple[str, np.ndarray, float]] = []
        for i, unit in enumerate(units(text)):
            weighted, folded = self._analyze(self._correct(w) for w in words(unit))
            if not weighted:
                continue
            discount = 1.0 if i == 0 else self._w.sentence
            lexical = self._lexical(weighted) * discount
            scored_units.append((folded, lexical, discount))
            np.maximum(best, lexical, out=best)
        if not scored_units:
            return []
        # Re-score only the best few units: a long post's weak sentences cannot win, and
        # character similarity says little about a whole story (and costs the most).
        if len(scored_units) > 1:
            sentences = sorted(scored_units[1:], key=lambda unit: -float(unit[1].max()))
            scored_units = sentences[: self._w.fuzzy_units]
        k = min(self._w.candidates, len(self._ids))
        top_k = np.argpartition(-best, k - 1)[:k] if k < len(self._ids) else np.arange(k)
        candidates = [int(e) for e in top_k]
        fuzzy = self._fuzzy(candidates, [folded for folded, _, _ in scored_units])
        scored: list[Scored] = []
        for column, entry in enumerate(candidates):
            final = 0.0
            for row, (_, lexical, discount) in enumerate(scored_units):
                fz = float(fuzzy[row, column]) * discount
                blended = (1.0 - self._w.fuzzy) * float(lexical[entry]) + self._w.fuzzy * fz
                final = max(final, blended)
            scored.append(Scored(self._ids[entry], min(final, 1.0), self._in_scope[entry]))
        scored.sort(key=lambda s: (-s.score, s.entry_id))
        return scored[:limit]


def index_entries(entries: Iterable[IndexEntry]) -> list[IndexEntry]:
    """Entries in a stable order, so that ties rank the same in every process."""
    return sorted(entries, key=lambda e: e.entry_id)
