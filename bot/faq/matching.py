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
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.faq.policy import Scored
from bot.faq.vocabulary import Vocabulary, spans
from bot.text import (
    BREAK,
    STOPWORDS,
    expand,
    phrasing_key,
    sentences,
    stem,
    token_stream,
    units,
    words,
)

STOP_STEMS = frozenset(stem(w) for w in STOPWORDS)


class Ranker(Protocol):
    """What ranks entries for a message: this lexical `Matcher`, or the semantic stage."""

    def rank(self, text: str, limit: int = 5) -> list[Scored]:
        """The best `limit` entries for `text`, best first, scores in [0, 1]."""
        ...


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
    """A sparse token-by-document matrix holding a few signals, by token: the documents that
    hold each token and their values, as views kept ready so that scoring a message gathers
    its tokens' postings with one look-up each."""

    docs: list[np.ndarray]  # per token, its documents: phrasing rows or entries
    values: list[np.ndarray]  # per token, a row per signal and a column per document
    n_docs: int

    @classmethod
    def build(
        cls, tokens: np.ndarray, docs: np.ndarray, values: np.ndarray, n_tokens: int, n_docs: int
    ) -> _Postings:
        """From parallel token, document and values (a row per signal) arrays; each token's
        documents keep their order."""
        order = np.argsort(tokens, kind="stable")
        docs, values = docs[order], values[:, order]
        ends = np.cumsum(np.bincount(tokens, minlength=n_tokens)).tolist()
        bounds = list(pairwise([0, *ends]))
        return cls([docs[a:b] for a, b in bounds], [values[:, a:b] for a, b in bounds], n_docs)

    def sums(
        self, tokens: list[int], units: list[int], n_units: int, factors: np.ndarray
    ) -> np.ndarray:
        """Per signal, unit and document, the sum of factor * value over (token, unit) pairs;
        `factors` has a row per signal and a column per pair. Shape (signals, units,
        documents), from one pass over the postings whatever the number of units."""
        counts = np.array([len(self.docs[t]) for t in tokens])
        cells = np.array([u * self.n_docs for u in units]).repeat(counts)
        cells += np.concatenate([self.docs[t] for t in tokens])
        weighted = np.concatenate([self.values[t] for t in tokens], axis=1)
        weighted *= factors.repeat(counts, axis=1)
        summed = np.array([np.bincount(cells, w, n_units * self.n_docs) for w in weighted])
        return summed.reshape(-1, n_units, self.n_docs)


class _Numbering(dict[str, int]):
    """Numbers strings in the order they are first looked up."""

    def __missing__(self, key: str) -> int:
        self[key] = number = len(self)
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
    """Many texts analyzed at once, as `rank` analyzes a message's units one by one.

    The regex runs once over all the texts, each distinct token is stemmed once, and folding,
    stopwords and weighing are numpy passes over every stem: that keeps building the index
    of a large pack quick. Texts are numbered in the order given.
    """

    def __init__(self, texts: Sequence[str], vocabulary: Vocabulary) -> None:
        self._token_ids = _Numbering({BREAK: 0})
        stream = token_stream(texts)
        self._tokens = np.fromiter(map(self._token_ids.__getitem__, stream), np.int64, len(stream))
        stem_ids = _Numbering({BREAK: 0})
        for s in sorted(vocabulary.words()):  # fold_ids and weigh_ids need them numbered
            stem_ids[s]
        seq = vocabulary.fold_ids(self._stem_sequence(stem_ids), stem_ids)
        names = list(stem_ids)
        seq = seq[~np.isin(seq, [stem_ids[s] for s in STOP_STEMS if s in stem_ids])]
        is_break = seq == 0
        width = len(names)
        pairs = np.sort(np.cumsum(is_break)[~is_break] * width + seq[~is_break])
        content_docs, content_stems = np.divmod(pairs[np.diff(pairs, prepend=-1) != 0], width)
        docs, stems, weights = vocabulary.weigh_ids(content_docs, content_stems, stem_ids)
        # Stems numbered afresh, in sorted order: only those the texts hold, the same way in
        # every process, and a document's stems in id order are in name order.
        held = np.flatnonzero(np.bincount(stems, minlength=width))
        order = sorted(range(len(held)), key=lambda i: names[held[i]])
        self.stems = [names[held[i]] for i in order]
        renumbered = np.zeros(width, dtype=np.int64)
        renumbered[held[order]] = np.arange(len(held))
        self.docs, self.tokens, self.weights = docs, renumbered[stems], weights  # weighed
        self._content = (content_docs, renumbered[content_stems])  # distinct, unweighed

    def _stem_sequence(self, stem_ids: _Numbering) -> np.ndarray:
        """The stem ids of the texts' words, in order, with `BREAK` (0) after each text."""
        expansions = [(0,)] + [
            tuple(stem_ids[stem(w)] for w in expand(t)) for t in list(self._token_ids)[1:]
        ]
        lengths = np.array([len(e) for e in expansions], dtype=np.int64)
        flat = np.fromiter(chain.from_iterable(expansions), np.int64)
        sequence: np.ndarray = flat[
            spans((np.cumsum(lengths) - lengths)[self._tokens], lengths[self._tokens])
        ]
        return sequence

    def token_sets(self, n_texts: int) -> list[str]:
        """`_token_set` of each of the first `n_texts` texts' content, "" for none."""
        docs, stems = self._content
        width = max(len(self.stems), 1)
        keys = np.sort(docs * width + stems)  # by text, then stem id, that is name
        cuts = np.searchsorted(keys // width, np.arange(n_texts + 1)).tolist()
        names = list(map(self.stems.__getitem__, (keys[: cuts[-1]] % width).tolist()))
        return [" ".join(names[a:b]) for a, b in pairwise(cuts)]

    def words(self, n_texts: int) -> set[str]:
        """Every word of the first `n_texts` texts."""
        end = int(np.flatnonzero(self._tokens == 0)[n_texts - 1]) if n_texts else 0
        held = np.flatnonzero(np.bincount(self._tokens[:end], minlength=len(self._token_ids)))
        names = list(self._token_ids)
        return set(chain.from_iterable(expand(names[t]) for t in held.tolist() if t))


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
        texts_per_entry = [len(e.phrasings) + 1 for e in entries]
        row_of_text = self._set_rows(corpus.token_sets(len(texts)), texts_per_entry)
        known_words = vocabulary.words() | corpus.words(len(texts))
        self._known_words = sorted(w for w in known_words if w not in STOPWORDS)
        self._known = set(self._known_words)
        self._typo_pools: dict[tuple[int, str], list[str]] = {}
        self._index(corpus, row_of_text, len(texts))
        self._exact = exact_wordings(entries)
        self._token = lru_cache(maxsize=16384)(self._corrected_stem)

    def _set_rows(self, token_sets: list[str], texts_per_entry: list[int]) -> np.ndarray:
        """Make the phrasing rows: each of an entry's texts (phrasings, then tags) with
        content, or one empty row for an entry without any. Returns each kept text's row."""
        counts = np.array(texts_per_entry, dtype=np.int64)
        firsts = np.cumsum(counts) - counts  # each entry's first text
        has_content = np.array([bool(t) for t in token_sets], dtype=bool)
        entry_of_text = np.repeat(np.arange(len(counts)), counts)
        kept = has_content.copy()
        kept[firsts[np.bincount(entry_of_text, has_content, len(counts)) == 0]] = True
        row_of_text: np.ndarray = np.cumsum(kept) - kept  # the rows kept before each text
        self._row_text = list(compress(token_sets, kept.tolist()))
        starts = row_of_text[firsts].tolist()
        self._bounds = [*starts, len(self._row_text)]  # entry e's rows: bounds[e]:bounds[e + 1]
        self._starts = np.array(starts, dtype=np.int64)
        return row_of_text

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
            row_tokens, row_docs, phrasing[None, :], n_tokens, len(self._row_text)
        )
        alpha = w.smoothing
        signals = np.stack([
            _normalized(cell_entries, bag * idf[cell_tokens]),  # cosine
            np.minimum(bag, 1.0),  # coverage, where a stem only in the answer counts less
            np.log((counts + alpha) / alpha),  # naive Bayes likelihood
        ])
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
            self._typo_pool(len(word), word[0]),
            scorer=OSA.normalized_similarity,
            score_cutoff=self._w.typo_similarity,
        )
        return str(found[0]) if found else word

    def _typo_pool(self, length: int, first: str) -> list[str]:
        """The known words that a word of `length` letters starting with `first` can be similar
        enough to, in order. Misspellings seldom get the first letter wrong, and keeping it
        keeps real words the pack does not use from turning into ones it does ("center" is
        not "enter").

        An edit changes a word's length by one at most, so a word's edit distance to another
        is at least their length difference: the others need not be scored. Kept in order,
        ties resolve as they would over all the known words.
        """
        candidates = self._typo_pools.get((length, first))
        if candidates is None:
            slack = 1.0 - self._w.typo_similarity
            candidates = [  # a hair over the bound, against rounding
                w for w in self._known_words
                if w[0] == first and abs(len(w) - length) <= slack * max(len(w), length) + 1e-9
            ]
            self._typo_pools[length, first] = candidates
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
        query = np.array(factors).T
        (phrasing,) = self._phrasings.sums(tokens, owners, n_units, query[:1])
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
        """The best `limit` entries for `text`, best first, scores in [0, 1]. A text worded
        as one of an entry's phrasings ranks that entry first, with score 1 and `exact`."""
        analyzed = self._analyze(text) if self._ids else []
        exact = self._exact.get(phrasing_key(text))
        if exact is not None:
            found = Scored(self._ids[exact], 1.0, self._in_scope[exact], exact=True)
            others = [s for s in self._ranked(analyzed) if s.entry_id != found.entry_id]
            return [found, *others][:limit]
        return self._ranked(analyzed)[:limit]

    def _ranked(self, analyzed: list[tuple[dict[str, float], str, float]]) -> list[Scored]:
        """The candidate entries for a message's analyzed units, best first."""
        if not analyzed:
            return []
        discounts = [discount for _, _, discount in analyzed]
        lexical, row_sums = self._lexical([weighted for weighted, _, _ in analyzed])
        lexical *= np.array(discounts)[:, None]
        candidates = self._candidates(lexical.max(axis=0))
        rescored = self._rescored(lexical)
        rows = self._rows(candidates)
        # A unit's row sum is positive where it shares a stem with the row (or a related one).
        may_share = row_sums[np.array(rescored)[:, None], rows] > 0
        fuzzy = self._fuzzy(candidates, rows, [analyzed[u][1] for u in rescored], may_share)
        f = self._w.fuzzy
        scored: list[Scored] = []
        for column, entry in enumerate(candidates):
            final = 0.0
            for row, unit in enumerate(rescored):
                fz = float(fuzzy[row, column]) * discounts[unit]
                final = max(final, (1.0 - f) * float(lexical[unit, entry]) + f * fz)
            scored.append(Scored(self._ids[entry], min(final, 1.0), self._in_scope[entry]))
        scored.sort(key=lambda s: (-s.score, s.entry_id))
        return scored

    def _analyze(self, text: str) -> list[tuple[dict[str, float], str, float]]:
        """The units of `text` that have content: their weighted stems, token set, and
        discount, as a single sentence of a longer post counts a little less."""
        analyzed: list[tuple[dict[str, float], str, float]] = []
        whole, pieces = sentences(text)
        # Each sentence is read once; the whole message is its sentences end to end.
        stems = {piece: list(map(self._token, words(piece))) for piece in pieces}
        stems[whole] = list(chain.from_iterable(stems[piece] for piece in pieces))
        for i, unit in enumerate(units(whole, pieces)):
            content = self._content(stems[unit])
            if content:
                discount = 1.0 if i == 0 else self._w.sentence
                analyzed.append((self._vocab.weigh(content), _token_set(content), discount))
        return analyzed

    def _candidates(self, best: np.ndarray) -> list[int]:
        """The entries with the best lexical scores: those the fuzzy stage re-scores."""
        k = min(self._w.candidates, len(self._ids))
        top_k = np.argpartition(-best, k - 1)[:k] if k < len(self._ids) else np.arange(k)
        return [int(e) for e in top_k]

    def _rescored(self, lexical: np.ndarray) -> list[int]:
        """The units the fuzzy stage re-scores: the only one, or a long post's best few
        sentences. Weak sentences cannot win, and character similarity says little about a
        whole story (and costs the most)."""
        if len(lexical) == 1:
            return [0]
        strength = lexical.max(axis=1)
        return sorted(range(1, len(lexical)), key=lambda u: -strength[u])[: self._w.fuzzy_units]


def exact_wordings(entries: Sequence[IndexEntry]) -> dict[str, int]:
    """Each phrasing's key and its entry's index, leaving out keys two entries share."""
    owners: dict[str, int] = {}
    shared: set[str] = set()
    for index, entry in enumerate(entries):
        for key in {phrasing_key(p) for p in entry.phrasings}:
            if key in owners:
                shared.add(key)
            owners[key] = index
    return {key: index for key, index in owners.items() if key not in shared}


def index_entries(entries: Iterable[IndexEntry]) -> list[IndexEntry]:
    """Entries in a stable order, so that ties rank the same in every process."""
    return sorted(entries, key=lambda e: e.entry_id)
