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
from itertools import chain, compress, filterfalse, pairwise

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.policy import Scored
from bot.text import BREAK, STOPWORDS, expand, stem, token_stream, units, words
from bot.vocabulary import Vocabulary, spans

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
    """A sparse token-by-document matrix stored by token (CSR), holding a few signals."""

    bounds: list[int]  # the postings of token t are [bounds[t], bounds[t + 1])
    docs: np.ndarray  # per posting, its document: a phrasing row or an entry
    values: np.ndarray  # one row per posting, one column per signal
    n_docs: int

    @classmethod
    def build(
        cls, tokens: np.ndarray, docs: np.ndarray, values: np.ndarray, n_tokens: int, n_docs: int
    ) -> _Postings:
        """From parallel token, document and values (one column per signal) arrays; each
        token's documents keep their order."""
        order = np.argsort(tokens, kind="stable")
        bounds = np.zeros(n_tokens + 1, dtype=np.int64)
        np.cumsum(np.bincount(tokens, minlength=n_tokens), out=bounds[1:])
        return cls(bounds.tolist(), docs[order], values[order], n_docs)

    def sums(
        self, tokens: list[int], units: list[int], n_units: int, factors: np.ndarray
    ) -> np.ndarray:
        """Per signal, unit and document, the sum of factor * value over (token, unit)
        pairs; `factors` has a row per pair and a column per signal. Shape (signals, units,
        documents): one pass over the postings for all the units."""
        spans = [(self.bounds[t], self.bounds[t + 1]) for t in tokens]
        counts = [end - start for start, end in spans]
        docs = np.concatenate([self.docs[start:end] for start, end in spans])
        values = np.concatenate([self.values[start:end] for start, end in spans])
        cells = np.repeat(np.array(units) * self.n_docs, counts) + docs
        weighted = values * np.repeat(factors, counts, axis=0)
        n_signals = values.shape[1]
        slots = cells[:, None] * n_signals + np.arange(n_signals)  # (cell, signal), like weighted
        summed = np.bincount(slots.ravel(), weighted.ravel(), n_units * self.n_docs * n_signals)
        return summed.reshape(n_units, self.n_docs, n_signals).transpose(2, 0, 1)


class _Numbering(dict[str, int]):
    """Stem -> token id, numbering each stem when first seen."""

    def __missing__(self, stem_: str) -> int:
        self[stem_] = number = len(self)
        return number


def _token_set(content: list[str]) -> str:
    """`content` as its sorted distinct stems: all that rapidfuzz's token-set similarity looks
    at, and presorted, it spares the fuzzy stage a sort per pair."""
    return " ".join(sorted(set(content)))


def _normalized(docs: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` divided by the Euclidean norm of their document's values."""
    norms = np.sqrt(np.bincount(docs, weights=values * values))
    normalized: np.ndarray = values / norms[docs]
    return normalized


class _Corpus:
    """Many texts analyzed at once, as `Matcher._content` and `Vocabulary.weigh` analyze one.

    The texts go through the regex in one pass and each distinct token through the stemmer
    once; folding, stopwords and weights are numpy passes over all of them. That is what
    makes building the index for a large pack quick.
    """

    def __init__(self, texts: Sequence[str], vocabulary: Vocabulary) -> None:
        self._raw_ids = _Numbering({BREAK: 0})
        self._raw = np.fromiter(map(self._raw_ids.__getitem__, token_stream(texts)), np.int64)
        stem_ids = _Numbering({BREAK: 0})
        for s in sorted(vocabulary.words()):  # fold_ids and weigh_ids need them numbered
            stem_ids[s]
        expansions = [(0,)] + [
            tuple(stem_ids[stem(w)] for w in expand(t)) for t in list(self._raw_ids)[1:]
        ]
        lengths = np.array([len(e) for e in expansions], dtype=np.int64)
        flat = np.fromiter(chain.from_iterable(expansions), np.int64)
        seq = flat[spans((np.cumsum(lengths) - lengths)[self._raw], lengths[self._raw])]
        seq = vocabulary.fold_ids(seq, stem_ids)
        names = list(stem_ids)
        stop = np.array([s in STOP_STEMS for s in names], dtype=bool)
        seq = seq[~stop[seq]]
        is_break = seq == 0
        docs, tokens_ = np.cumsum(is_break)[~is_break], seq[~is_break]
        pairs = np.sort(docs * len(names) + tokens_)
        pairs = pairs[np.diff(pairs, prepend=-1) != 0]
        content_docs, content_tokens = np.divmod(pairs, len(names))
        docs, tokens_, self.weights = vocabulary.weigh_ids(content_docs, content_tokens, stem_ids)
        # Stems numbered afresh, in sorted order, counting only those the texts hold.
        present = np.flatnonzero(np.bincount(tokens_, minlength=len(names)))
        order = sorted(range(len(present)), key=lambda i: names[present[i]])
        self.stems = [names[present[i]] for i in order]
        renumber = np.zeros(len(names), dtype=np.int64)
        renumber[present[order]] = np.arange(len(present))
        self.docs, self.tokens = docs, renumber[tokens_]
        self._content = (content_docs, renumber[content_tokens])

    def token_sets(self, n_docs: int) -> list[str]:
        """`_token_set` of the first `n_docs` texts' content: "" for a text without any."""
        docs, tokens_ = self._content
        width = max(len(self.stems), 1)
        keys = np.sort(docs * width + tokens_)  # by text, then stem, so by name
        cuts = np.searchsorted(keys // width, np.arange(n_docs + 1)).tolist()
        names = list(map(self.stems.__getitem__, (keys[: cuts[-1]] % width).tolist()))
        return [" ".join(names[a:b]) for a, b in pairwise(cuts)]

    def words(self, n_docs: int) -> set[str]:
        """The words of the first `n_docs` texts."""
        breaks = np.flatnonzero(self._raw == 0)
        end = int(breaks[n_docs - 1]) if n_docs else 0
        raw_names = list(self._raw_ids)
        held = np.flatnonzero(np.bincount(self._raw[:end], minlength=len(raw_names)))
        return set(chain.from_iterable(expand(raw_names[r]) for r in held.tolist()))


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
        texts = [p for e in entries for p in (*e.phrasings, " ".join(e.tags))]
        corpus = _Corpus([*texts, *(e.answer for e in entries)], vocabulary)
        # Phrasing rows: each phrasing (and the tags) with content; an entry without any
        # content still gets one, empty.
        token_sets = corpus.token_sets(len(texts))
        per_entry = np.array([len(e.phrasings) + 1 for e in entries], dtype=np.int64)
        first_text = np.cumsum(per_entry) - per_entry
        has_content = np.array([bool(t) for t in token_sets], dtype=bool)
        keep = has_content.copy()
        entry_of_text = np.repeat(np.arange(len(entries)), per_entry)
        keep[first_text[np.bincount(entry_of_text, has_content, len(entries)) == 0]] = True
        row_of_text = np.cumsum(keep) - 1
        self._row_text = list(compress(token_sets, keep.tolist()))
        starts = row_of_text[first_text].tolist()
        self._bounds = [*starts, len(self._row_text)]  # entry e's rows: bounds[e]:bounds[e + 1]
        self._starts = np.array(starts, dtype=np.int64)
        known_words = vocabulary.words() | corpus.words(len(texts))
        self._known_words = sorted(w for w in known_words if w not in STOPWORDS)
        self._known = set(self._known_words)
        self._by_length: dict[int, list[str]] = {}  # typo candidates by word length
        self._index(corpus, row_of_text, len(texts))
        self._token = lru_cache(maxsize=16384)(self._corrected_stem)

    def _content(self, stems: Iterable[str]) -> list[str]:
        """Stems with synonyms folded and stopwords dropped."""
        return list(filterfalse(STOP_STEMS.__contains__, self._vocab.fold(stems)))

    def _index(self, corpus: _Corpus, row_of_text: np.ndarray, n_texts: int) -> None:
        """IDF, the normalized phrasing and entry postings, and naive Bayes likelihoods.

        The corpus holds the phrasing texts, then the answers. An entry's bag holds each stem
        of its phrasings at 1 + log(rows holding it), and the other stems of its answer at
        `answer_words`; its class counts are those row counts plus `answer_counts` for each
        stem of the answer.
        """
        w = self._w
        n_entries, n_tokens = len(self._ids), len(corpus.stems)
        in_rows = corpus.docs < n_texts
        row_docs = row_of_text[corpus.docs[in_rows]]
        row_tokens, row_values = corpus.tokens[in_rows], corpus.weights[in_rows]
        answer_entries = corpus.docs[~in_rows] - n_texts
        answer_tokens = corpus.tokens[~in_rows]
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
        self._terms = {t: (i, float(idf[i])) for i, t in enumerate(corpus.stems)}
        self._unknown_idf = math.log(1.0 + n / 0.5) * w.unknown_word

        phrasing = _normalized(row_docs, row_values * idf[row_tokens])
        self._phrasings = _Postings.build(
            row_tokens, row_docs, phrasing[:, None], n_tokens, len(self._row_text)
        )
        alpha = w.smoothing
        signals = np.stack([
            _normalized(cell_entries, bag * idf[cell_tokens]),  # cosine
            np.minimum(bag, 1.0),  # coverage, where a stem only in the answer counts less
            np.log((counts + alpha) / alpha),  # naive Bayes likelihood
        ], axis=1)
        self._entries = _Postings.build(cell_tokens, cell_entries, signals, n_tokens, n_entries)
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
            self._typo_candidates(len(word)),
            scorer=OSA.normalized_similarity,
            score_cutoff=self._w.typo_similarity,
        )
        return str(found[0]) if found else word

    def _typo_candidates(self, length: int) -> list[str]:
        """The known words that a word of `length` letters can be similar enough to, in order.

        An edit changes a word's length by one at most, so a word's edit distance to another
        is at least their length difference: the others need not be scored. Kept in order,
        ties resolve as they would over all the known words.
        """
        candidates = self._by_length.get(length)
        if candidates is None:
            slack = 1.0 - self._w.typo_similarity
            candidates = [  # a hair over the bound, against rounding
                w for w in self._known_words
                if abs(len(w) - length) <= slack * max(len(w), length) + 1e-9
            ]
            self._by_length[length] = candidates
        return candidates

    def _lexical(self, units: list[dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Every unit's lexical score for every entry, and its sum for every phrasing row
        (positive where they share a stem), one row per unit, in one pass."""
        n_units = len(units)
        tokens: list[int] = []  # per (unit, known stem) pair: the stem,
        owners: list[int] = []  # the unit,
        factors: list[tuple[float, float, float]] = []  # and q = weight * idf, q * q, weight
        norm_sq = [0.0] * n_units
        known_weight = [0.0] * n_units
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
                factors.append((q, q * q, weight))
        if not tokens:  # no similarity to anything: the posterior has nothing to scale
            return np.zeros((n_units, len(self._ids))), np.zeros((n_units, len(self._row_text)))
        query = np.array(factors)
        (phrasing,) = self._phrasings.sums(tokens, owners, n_units, query[:, :1])
        cosine, covered, log_likelihood = self._entries.sums(tokens, owners, n_units, query)

        sq = np.array(norm_sq)[:, None]
        norm = np.sqrt(sq)
        best_phrasing = np.maximum.reduceat(phrasing, self._starts, axis=1) / norm
        c = self._w.coverage
        entry_level = c * covered / sq + (1.0 - c) * cosine / norm
        p = self._w.phrasing
        similarity = p * best_phrasing + (1.0 - p) * entry_level
        log_likelihood += np.array(known_weight)[:, None] * self._absent
        posterior = np.exp(log_likelihood - log_likelihood.max(axis=1, keepdims=True))
        posterior /= posterior.sum(axis=1, keepdims=True)
        b = self._w.classifier
        result: np.ndarray = (1.0 - b) * similarity + b * posterior * similarity.max(
            axis=1, keepdims=True
        )
        return result, phrasing

    def _rows(self, entries: list[int]) -> list[int]:
        """The phrasing rows of `entries`, entry after entry."""
        return [r for e in entries for r in range(self._bounds[e], self._bounds[e + 1])]

    def _fuzzy(
        self, entries: list[int], rows: list[int], folded_units: list[str], may_share: np.ndarray
    ) -> np.ndarray:
        """rapidfuzz token-set similarity, best phrasing per (unit, entry), `rows` being the
        entries' phrasing rows.

        Two texts that share no token have as token-set similarity the plain similarity of
        their (sorted, distinct) tokens, which rapidfuzz computes many times faster: only the
        pairs that `may_share` one (per unit and row) get the token-set scorer.
        """
        choices = [self._row_text[r] for r in rows]
        matrix = process.cdist(
            folded_units, choices, scorer=fuzz.ratio, processor=None, dtype=np.float32
        )
        for u, shared in enumerate(may_share):
            (overlapping,) = np.nonzero(shared)
            if len(overlapping):
                matrix[u, overlapping] = process.cdist(
                    folded_units[u : u + 1], [choices[i] for i in overlapping],
                    scorer=fuzz.token_set_ratio, processor=None, dtype=np.float32,
                )[0]
        sizes = [self._bounds[e + 1] - self._bounds[e] for e in entries]
        best: np.ndarray = np.maximum.reduceat(matrix, np.cumsum([0, *sizes[:-1]]), axis=1)
        return best / 100.0

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
        lexical, row_sums = self._lexical([weighted for weighted, _, _ in scored_units])
        lexical *= discounts[:, None]
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
        # A unit's row sum is positive where it shares a stem with the row (or a related one).
        rows = self._rows(candidates)
        may_share = row_sums[np.array(rescored)[:, None], rows] > 0
        fuzzy = self._fuzzy(candidates, rows, [scored_units[u][1] for u in rescored], may_share)
        f = self._w.fuzzy
        blended = (1.0 - f) * lexical[np.array(rescored)[:, None], candidates] + f * (
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
