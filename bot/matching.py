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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, filterfalse

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.policy import Scored
from bot.text import STOPWORDS, expand, stem, tokens, units, words
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


@dataclass(frozen=True)
class _Postings:
    """A sparse token-by-document matrix stored by token (CSR): the postings of all of a
    message's tokens are gathered in a few numpy calls rather than a Python loop per token."""

    indptr: np.ndarray  # the postings of token t are [indptr[t], indptr[t + 1])
    docs: np.ndarray  # per posting, its document: a phrasing row or an entry
    values: np.ndarray  # one row per signal, one column per posting

    @classmethod
    def build(
        cls, tokens: np.ndarray, docs: np.ndarray, values: np.ndarray, n_tokens: int
    ) -> _Postings:
        """From parallel (token, document, values) columns; each token's documents keep
        their order."""
        order = np.argsort(tokens, kind="stable")
        indptr = np.zeros(n_tokens + 1, dtype=np.int64)
        np.cumsum(np.bincount(tokens, minlength=n_tokens), out=indptr[1:])
        return cls(indptr, docs[order], values[:, order])

    def gather(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions of every posting of `tokens`, and which of `tokens` each is for."""
        starts = self.indptr[tokens]
        counts = self.indptr[tokens + 1] - starts
        ends = np.cumsum(counts)
        positions = np.arange(int(counts.sum())) + np.repeat(starts - ends + counts, counts)
        return positions, np.repeat(np.arange(len(tokens)), counts)


class _Numbering(dict[str, int]):
    """Stem -> token id, numbering each stem when first seen."""

    def __missing__(self, stem_: str) -> int:
        self[stem_] = number = len(self)
        return number


@dataclass
class _Documents:
    """The weighted stems of documents 0, 1, 2, ..., as the build collects them."""

    token_ids: _Numbering
    sizes: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def add(self, weighted: dict[str, float]) -> None:
        """Append the next document."""
        self.sizes.append(len(weighted))
        self.tokens.extend(map(self.token_ids.__getitem__, weighted))
        self.values.extend(weighted.values())

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(document, token id, value) per stem of each document, as numpy arrays."""
        return (
            np.repeat(np.arange(len(self.sizes)), self.sizes),
            np.array(self.tokens, dtype=np.int64),
            np.array(self.values, dtype=np.float64),
        )


def _token_set(content: list[str]) -> str:
    """`content` as its sorted distinct stems: all that rapidfuzz's token-set similarity looks
    at, and presorted, it spares the fuzzy stage a sort per pair."""
    return " ".join(sorted(set(content)))


def _normalized(docs: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` divided by the Euclidean norm of their document's values."""
    norms = np.sqrt(np.bincount(docs, weights=values * values))
    normalized: np.ndarray = values / norms[docs]
    return normalized


class _TokenStems(dict[str, tuple[str, ...]]):
    """Token -> the stems of the words it stands for. A pack has few distinct tokens, seen
    many times each: the build analyzes each once."""

    def __missing__(self, token: str) -> tuple[str, ...]:
        self[token] = found = tuple(stem(w) for w in expand(token))
        return found

    def stems(self, raw: list[str]) -> Iterator[str]:
        """The stems of a run of tokens, in order."""
        return chain.from_iterable(map(self.__getitem__, raw))


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
        self._token_ids = _Numbering()
        self._row_text: list[str] = []
        rows, answers = _Documents(self._token_ids), _Documents(self._token_ids)
        starts: list[int] = []
        stems_of = _TokenStems()
        phrase_tokens: set[str] = set()
        for entry in entries:
            starts.append(len(self._row_text))
            for phrase in (*entry.phrasings, " ".join(entry.tags)):
                raw = tokens(phrase)
                phrase_tokens.update(raw)
                content = self._content(stems_of.stems(raw))
                if content:
                    rows.add(vocabulary.weigh(content))
                    self._row_text.append(_token_set(content))
            if len(self._row_text) == starts[-1]:  # an entry with no content words still gets a row
                rows.add({})
                self._row_text.append("")
            answers.add(vocabulary.weigh(self._content(stems_of.stems(tokens(entry.answer)))))
        self._bounds = [*starts, len(self._row_text)]  # entry e's rows: bounds[e]:bounds[e + 1]
        self._starts = np.array(starts, dtype=np.int64)
        known_words = vocabulary.words().union(*map(expand, phrase_tokens))
        self._known_words = sorted(w for w in known_words if w not in STOPWORDS)
        self._known = set(self._known_words)
        self._index(rows, answers)
        self._token = lru_cache(maxsize=16384)(self._corrected_stem)

    def _content(self, stems: Iterable[str]) -> list[str]:
        """Stems with synonyms folded and stopwords dropped."""
        return list(filterfalse(STOP_STEMS.__contains__, self._vocab.fold(stems)))

    def _index(self, rows: _Documents, answers: _Documents) -> None:
        """IDF, the normalized phrasing and entry postings, and naive Bayes likelihoods.

        An entry's bag holds each stem of its phrasings at 1 + log(rows holding it), and the
        other stems of its answer at `answer_words`; its class counts are those row counts
        plus `answer_counts` for each stem of the answer.
        """
        w = self._w
        n_entries, n_tokens = len(self._ids), len(self._token_ids)
        row_docs, row_tokens, row_values = rows.arrays()
        answer_entries, answer_tokens, _ = answers.arrays()
        entry_of_row = np.repeat(np.arange(n_entries), np.diff(self._bounds))
        # (stem, entry) cells, numbered stem * n_entries + entry, doubled: odd for the answer.
        # Sorted, a cell's marks are its phrasings' rows, then the answer if it has the stem.
        marks = np.sort(np.concatenate([
            (row_tokens * n_entries + entry_of_row[row_docs]) * 2,
            (answer_tokens * n_entries + answer_entries) * 2 + 1,
        ]))
        firsts = np.flatnonzero(np.diff(marks >> 1, prepend=-1))
        sizes = np.diff(firsts, append=len(marks))
        cells = marks[firsts] >> 1
        cell_tokens, cell_entries = np.divmod(cells, max(n_entries, 1))
        in_answer = marks[firsts + sizes - 1] & 1
        rows_holding = sizes - in_answer
        bag = np.full(len(cells), w.answer_words)
        in_phrasings = rows_holding > 0
        bag[in_phrasings] = 1.0 + np.log(rows_holding[in_phrasings])
        counts = rows_holding + w.answer_counts * in_answer

        n = max(n_entries, 1)
        idf = np.log(1.0 + n / np.bincount(cell_tokens, minlength=n_tokens))
        self._terms = {t: (i, float(idf[i])) for t, i in self._token_ids.items()}
        self._unknown_idf = math.log(1.0 + n / 0.5) * w.unknown_word

        phrasing = _normalized(row_docs, row_values * idf[row_tokens])
        self._phrasings = _Postings.build(row_tokens, row_docs, phrasing[None, :], n_tokens)
        alpha = w.smoothing
        signals = np.stack([
            _normalized(cell_entries, bag * idf[cell_tokens]),  # cosine
            np.minimum(bag, 1.0),  # coverage, where a stem only in the answer counts less
            np.log((counts + alpha) / alpha),  # naive Bayes likelihood
        ])
        self._entries = _Postings.build(cell_tokens, cell_entries, signals, n_tokens)
        totals = np.bincount(cell_entries, weights=counts, minlength=n_entries)
        self._absent = np.log(alpha / (totals + alpha * n_tokens))

    def _corrected_stem(self, word: str) -> str:
        """The stem of `word`, or of the known word it misspells."""
        return stem(self._correct_word(word))

    def _correct_word(self, word: str) -> str:
        """A known word for a misspelt one (`milstone` -> `milestone`), else the word."""
        if len(word) < 5 or word in self._known or stem(word) in self._terms:
            return word
        found = process.extractOne(
            word,
            self._known_words,
            scorer=OSA.normalized_similarity,
            score_cutoff=self._w.typo_similarity,
        )
        return str(found[0]) if found else word

    def _lexical(self, units: list[dict[str, float]]) -> np.ndarray:
        """Every unit's lexical score for every entry, one row per unit, in one pass."""
        n_units, n_rows, n_entries = len(units), len(self._row_text), len(self._ids)
        tokens: list[int] = []
        owners: list[int] = []
        query: list[float] = []
        raw: list[float] = []
        norm_sq = np.zeros(n_units)
        known_weight = np.zeros(n_units)
        for u, weighted in enumerate(units):
            for token, weight in weighted.items():
                term = self._terms.get(token)
                if term is None:
                    norm_sq[u] += (weight * self._unknown_idf) ** 2
                    continue
                q = weight * term[1]
                norm_sq[u] += q * q
                known_weight[u] += weight
                tokens.append(term[0])
                owners.append(u)
                query.append(q)
                raw.append(weight)
        if not tokens:  # no similarity to anything: the posterior has nothing to scale
            return np.zeros((n_units, n_entries))
        token_ids = np.array(tokens, dtype=np.int64)
        unit_of = np.array(owners, dtype=np.int64)
        q_ = np.array(query)

        positions, owner = self._phrasings.gather(token_ids)
        phrasing = np.bincount(
            unit_of[owner] * n_rows + self._phrasings.docs[positions],
            weights=q_[owner] * self._phrasings.values[0, positions],
            minlength=n_units * n_rows,
        ).reshape(n_units, n_rows)

        positions, owner = self._entries.gather(token_ids)
        cells = unit_of[owner] * n_entries + self._entries.docs[positions]
        bag, presence, likelihood = self._entries.values[:, positions]

        def total(values: np.ndarray) -> np.ndarray:
            summed = np.bincount(cells, weights=values, minlength=n_units * n_entries)
            return summed.reshape(n_units, n_entries)

        cosine = total(q_[owner] * bag)
        covered = total((q_ * q_)[owner] * presence)
        log_likelihood = total(np.array(raw)[owner] * likelihood)

        norm = np.sqrt(norm_sq)[:, None]
        best_phrasing = np.maximum.reduceat(phrasing, self._starts, axis=1) / norm
        c = self._w.coverage
        entry_level = c * covered / norm_sq[:, None] + (1.0 - c) * cosine / norm
        p = self._w.phrasing
        similarity = p * best_phrasing + (1.0 - p) * entry_level
        log_likelihood += known_weight[:, None] * self._absent
        posterior = np.exp(log_likelihood - log_likelihood.max(axis=1, keepdims=True))
        posterior /= posterior.sum(axis=1, keepdims=True)
        b = self._w.classifier
        result: np.ndarray = (1.0 - b) * similarity + b * posterior * similarity.max(
            axis=1, keepdims=True
        )
        return result

    def _fuzzy(self, entries: list[int], folded_units: list[str]) -> np.ndarray:
        """rapidfuzz token-set similarity, best phrasing per (unit, entry), in one call."""
        bounds = self._bounds
        choices = [t for e in entries for t in self._row_text[bounds[e] : bounds[e + 1]]]
        matrix = process.cdist(
            folded_units, choices, scorer=fuzz.token_set_ratio, processor=None, dtype=np.float32
        )
        offsets = np.cumsum([0] + [bounds[e + 1] - bounds[e] for e in entries])[:-1]
        best: np.ndarray = np.maximum.reduceat(matrix, offsets, axis=1) / 100.0
        return best

    def rank(self, text: str, limit: int = 5) -> list[Scored]:
        """The best `limit` entries for `text`, best first, scores in [0, 1]."""
        if not self._ids:
            return []
        scored_units: list[tuple[dict[str, float], str, float]] = []
        for i, unit in enumerate(units(text)):
            content = self._content([self._token(w) for w in words(unit)])
            if content:
                discount = 1.0 if i == 0 else self._w.sentence
                scored_units.append((self._vocab.weigh(content), _token_set(content), discount))
        if not scored_units:
            return []
        discounts = np.array([discount for _, _, discount in scored_units])
        lexical = self._lexical([weighted for weighted, _, _ in scored_units]) * discounts[:, None]
        best = lexical.max(axis=0)
        # Re-score only the best few units: a long post's weak sentences cannot win, and
        # character similarity says little about a whole story (and costs the most).
        rescored = [0]
        if len(scored_units) > 1:
            strength = lexical.max(axis=1)
            by_strength = sorted(range(1, len(scored_units)), key=lambda u: -strength[u])
            rescored = by_strength[: self._w.fuzzy_units]
        k = min(self._w.candidates, len(self._ids))
        top_k = np.argpartition(-best, k - 1)[:k] if k < len(self._ids) else np.arange(k)
        candidates = [int(e) for e in top_k]
        fuzzy = self._fuzzy(candidates, [scored_units[u][1] for u in rescored])
        f = self._w.fuzzy
        blended = (1.0 - f) * lexical[np.ix_(rescored, candidates)] + f * (
            fuzzy * discounts[rescored, None]
        )
        final = np.minimum(blended.max(axis=0), 1.0)
        scored = [
            Scored(self._ids[e], float(score), self._in_scope[e])
            for e, score in zip(candidates, final, strict=True)
        ]
        scored.sort(key=lambda s: (-s.score, s.entry_id))
        return scored[:limit]


def index_entries(entries: Iterable[IndexEntry]) -> list[IndexEntry]:
    """Entries in a stable order, so that ties rank the same in every process."""
    return sorted(entries, key=lambda e: e.entry_id)
