"""The semantic stage: a classifier over the phrasings' sentence embeddings, blended with
the nearest phrasing of each class and fused with the lexical matcher's scores.

Every entry and every out-of-scope subject is a class; its phrasings are its examples.
Softmax regression over the embeddings, fitted in numpy from the classes' mean vectors,
gives each class a probability. A class's nearest phrasing to the question (cosine) gives it
a second probability, a softmax over the classes' nearest similarities; the semantic score
is `nearest` times that plus the rest times the classifier's. The fused score of an entry is
`lexical` times its lexical score plus the rest times the semantic score. The
exact-phrasing rule still comes first.
Vectors are cached per phrasing, by text and model (`EmbeddingStore`): a start computes only
the phrasings it has never seen, and a moderator's new phrasing is embedded when the
snapshot is rebuilt after the save.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.faq.embedding import QUESTION_TOKENS, Encoder
from bot.faq.matching import IndexEntry, Matcher, exact_wordings
from bot.faq.policy import Scored
from bot.text import MATCH_CHAR_LIMIT, phrasing_key


@dataclass(frozen=True)
class SemanticWeights:
    """How the classifier is fitted and fused; tuned on the evaluation sets (README)."""

    lexical: float = 0.3  # share of the lexical score in the fused score
    nearest: float = 0.4  # share of the nearest-phrasing probability in the semantic score
    nearest_temperature: float = 0.04  # the classes' nearest cosines are divided by this
    temperature: float = 0.5  # the classifier's logits are divided by this: sharper odds
    l2: float = 1e-4  # weight decay of the softmax regression
    start_scale: float = 5.0  # the fit starts from each class's mean vector times this
    iterations: int = 60  # Adam steps of the fit, at most
    step: float = 0.1  # Adam's learning rate
    fit_budget: float = 1e10  # multiply-adds the fit may spend; a huge pack gets fewer steps
    # An out-of-scope subject ranked first declines only when the lexical matcher ranks it
    # among its best `worded_ranks`, or its nearest-phrasing probability reaches this (README).
    corroboration: float = 0.1
    worded_ranks: int = 5


class EmbeddingStore(Protocol):
    """Where phrasing vectors are kept between starts, by model id and text key, and the
    classifier fitted on them, by a fingerprint of everything the fit read."""

    def vectors(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those of `keys` that have one."""
        ...

    def save(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Keep these vectors (a key already stored is left as it is)."""
        ...

    def classifier(self, fingerprint: str) -> np.ndarray | None:
        """The packed classifier fitted under `fingerprint`, if kept."""
        ...

    def save_classifier(self, fingerprint: str, packed: np.ndarray) -> None:
        """Keep this classifier in place of any other."""
        ...


def text_key(text: str) -> str:
    """What a phrasing's vector is cached under (with the model id): its text's sha256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PhrasingVectors:
    """Phrasing vectors by text: from memory, else the store, else the encoder (then stored)."""

    def __init__(self, encoder: Encoder, store: EmbeddingStore,
                 shipped: Shipped | None = None) -> None:
        self.encoder, self._store = encoder, store
        self._memory: dict[str, np.ndarray] = dict(shipped.vectors) if shipped else {}
        self._classifiers: dict[str, np.ndarray] = dict(shipped.classifiers) if shipped else {}

    def classifier(self, fingerprint: str) -> np.ndarray | None:
        """A classifier fitted under `fingerprint`: shipped, fitted here, or kept in the store."""
        if fingerprint not in self._classifiers:
            found = self._store.classifier(fingerprint)
            if found is None:
                return None
            self._classifiers = {fingerprint: found}
        return self._classifiers[fingerprint]

    def keep_classifier(self, fingerprint: str, packed: np.ndarray) -> None:
        """Remember a fitted classifier here and in the store, for the other processes."""
        self._classifiers = {fingerprint: packed}
        self._store.save_classifier(fingerprint, packed)

    def shared(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, as `of` gives them, and from now on the vectors kept in memory:
        for these texts, views of those rows (one copy, not two); other texts' vectors are
        let go from memory (the store still has them)."""
        matrix = self.of(texts)
        self._memory = {text_key(t): matrix[i] for i, t in enumerate(texts)}
        return matrix

    def of(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text."""
        keys = [text_key(t) for t in texts]
        wanted = sorted({k for k in keys if k not in self._memory})
        if wanted:
            self._memory.update(self._store.vectors(self.encoder.model_id, wanted))
            missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._memory}
            if missing:
                computed = self.encoder.embed(list(missing.values()))
                fresh = dict(zip(missing, computed, strict=True))
                self._store.save(self.encoder.model_id, fresh)
                self._memory.update(fresh)
        if not keys:
            return np.zeros((0, self.encoder.dimensions), dtype=np.float32)
        return np.stack([self._memory[k] for k in keys])


@dataclass(frozen=True)
class Shipped:
    """What the pack ships for the semantic stage (`tools/pack_vectors.py` computes it): its
    phrasing vectors by text key and the classifier fitted on them, by fingerprint."""

    vectors: Mapping[str, np.ndarray]
    classifiers: Mapping[str, np.ndarray]


def read_shipped(path: Path, model_id: str) -> Shipped:
    """The shipped vectors and classifier, if they are this model's (else none): a phrasing
    added since is embedded at first start, and the classifier refitted."""
    if not path.is_file():
        return Shipped({}, {})
    with np.load(path, allow_pickle=False) as data:
        if str(data["model"]) != model_id:
            return Shipped({}, {})
        keys = [k.decode("ascii") for k in data["keys"].tolist()]
        vectors = dict(zip(keys, data["vectors"].astype(np.float32), strict=True))
        fingerprint = str(data["fingerprint"])
        classifiers = {fingerprint: data["classifier"]} if fingerprint else {}
    return Shipped(vectors, classifiers)


def write_shipped(path: Path, model_id: str, vectors: Mapping[str, np.ndarray],
                  classifiers: Mapping[str, np.ndarray]) -> None:
    """Write what `read_shipped` reads (at most one classifier)."""
    keys = sorted(vectors)
    fingerprint, packed = next(iter(classifiers.items()), ("", np.zeros((0, 0))))
    with path.open("wb") as f:
        np.savez(f, model=np.array(model_id), keys=np.array(keys, dtype="S64"),
                 vectors=np.stack([vectors[k] for k in keys]).astype(np.float32),
                 fingerprint=np.array(fingerprint), classifier=packed.astype(np.float32))


def fit_fingerprint(model_id: str, entries: Sequence[IndexEntry], w: SemanticWeights) -> str:
    """Everything a fit reads: the model, the classes with their phrasings, the settings."""
    digest = hashlib.sha256(
        f"{model_id}|{w.l2}|{w.start_scale}|{w.iterations}|{w.step}|{w.fit_budget}".encode())
    for entry in entries:
        digest.update(f"\n{entry.entry_id}".encode())
        for phrasing in entry.phrasings:
            digest.update(f"\t{text_key(phrasing)}".encode())
    return digest.hexdigest()


class Classifier:
    """Softmax regression over sentence vectors: one probability per class."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray, temperature: float,
                 steps: int = 0) -> None:
        self._weights, self._bias, self._temperature = weights, bias, temperature
        self.steps = steps  # the fit's gradient steps (0: the classes' mean directions)

    @classmethod
    def unpack(cls, packed: np.ndarray, temperature: float) -> Classifier:
        """From `packed()`."""
        return cls(packed[:-1], packed[-1], temperature)

    def packed(self) -> np.ndarray:
        """The weights with the bias as their last row."""
        return np.vstack([self._weights, self._bias[None, :]])

    @classmethod
    def fit(cls, vectors: np.ndarray, labels: np.ndarray, classes: int,
            w: SemanticWeights = SemanticWeights()) -> Classifier:
        """Fit on `vectors` labelled 0..classes-1 (every class with at least one vector).

        Starts from the classes' mean directions (a nearest-mean classifier on its own) and
        takes up to `w.iterations` Adam steps of full-batch gradient descent with weight
        decay, as many as `w.fit_budget` allows: a pack of thousands of entries keeps the
        nearest-mean start, and the fit stays well under a second.
        """
        n, d = vectors.shape
        order = np.argsort(labels, kind="stable")  # each class's vectors together, summed
        starts = np.searchsorted(labels[order], np.arange(classes))
        means = np.add.reduceat(vectors[order], starts, axis=0).astype(np.float32)
        means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
        weights = np.ascontiguousarray(means.T * w.start_scale)
        bias = np.zeros(classes, dtype=np.float32)
        steps = min(w.iterations, int(w.fit_budget // max(2 * n * d * classes, 1)))
        if steps:
            one_hot = np.zeros((n, classes), dtype=np.float32)
            one_hot[np.arange(n), labels] = 1.0
            moments = [np.zeros_like(weights), np.zeros_like(weights),
                       np.zeros_like(bias), np.zeros_like(bias)]
            for t in range(1, steps + 1):
                error = _softmax(vectors @ weights + bias) - one_hot
                error /= n
                grad_w = vectors.T @ error + w.l2 * weights
                grad_b = error.sum(axis=0)
                for param, grad, m, v in ((weights, grad_w, *moments[:2]),
                                          (bias, grad_b, *moments[2:])):
                    m *= 0.9
                    m += 0.1 * grad
                    v *= 0.999
                    v += 0.001 * grad * grad
                    param -= w.step * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        return cls(weights, bias, w.temperature, steps)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """One row per vector, one column per class; rows sum to 1."""
        return _softmax((vectors @ self._weights + self._bias) / self._temperature)


def _classifier(entries: Sequence[IndexEntry], vectors: PhrasingVectors,
                w: SemanticWeights, phrasings: np.ndarray | None = None) -> Classifier | None:
    """The classifier over `entries`: kept from an earlier fit of the same phrasings (shipped
    with the pack, or fitted by another process), else fitted now (on `phrasings`, their
    vectors in order, when given) and kept."""
    texts = [p for e in entries for p in e.phrasings]
    if not texts:
        return None
    fingerprint = fit_fingerprint(vectors.encoder.model_id, entries, w)
    packed = vectors.classifier(fingerprint)
    if packed is not None and packed.shape == (vectors.encoder.dimensions + 1, len(entries)):
        return Classifier.unpack(packed, w.temperature)
    labels = np.repeat(np.arange(len(entries)), [len(e.phrasings) for e in entries])
    fitted = Classifier.fit(vectors.of(texts) if phrasings is None else phrasings,
                            labels, len(entries), w)
    if fitted.steps:  # the mean directions alone are quicker to compute than to read back
        vectors.keep_classifier(fingerprint, fitted.packed())
    return fitted


class NearestPhrasing:
    """Each class's most similar phrasing to a question, as a probability over the classes:
    a softmax of the nearest cosines divided by a temperature. It reads the phrasings one by
    one where the classifier reads their class as a whole, so a question worded like one
    phrasing of a class (another marketplace's words, a story told the way one example
    tells it) finds that class even when its other phrasings pull the class's mean away."""

    def __init__(self, phrasings: np.ndarray, counts: Sequence[int], temperature: float) -> None:
        self._phrasings, self._temperature = phrasings, temperature
        counts_array = np.asarray(counts, dtype=np.int64)
        self._classes = len(counts_array)
        self._held = np.flatnonzero(counts_array)  # a class without phrasings is never nearest
        self._starts = (np.cumsum(counts_array) - counts_array)[self._held]  # each held's first

    def probabilities(self, vector: np.ndarray) -> np.ndarray:
        """One probability per class for one question vector; they sum to 1."""
        products = self._phrasings @ vector
        nearest = np.full(self._classes, -1.0, dtype=products.dtype)
        nearest[self._held] = np.maximum.reduceat(products, self._starts)
        odds: np.ndarray = _softmax(nearest[None, :] / self._temperature)[0]
        return odds


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return result


class SemanticMatcher:
    """Ranks entries by the classifier's probability, fused with the lexical matcher's score
    when one is given (`lexical=None`: the semantic stage alone). Same interface as `Matcher`.
    """

    def __init__(self, entries: Sequence[IndexEntry], vectors: PhrasingVectors,
                 lexical: Matcher | None, weights: SemanticWeights = SemanticWeights()) -> None:
        self._ids = [e.entry_id for e in entries]
        self._index = {entry_id: i for i, entry_id in enumerate(self._ids)}
        self._in_scope = [e.in_scope for e in entries]
        self._encoder, self._lexical, self._w = vectors.encoder, lexical, weights
        self._exact = exact_wordings(entries)
        self._nearest: NearestPhrasing | None = None
        phrasings: np.ndarray | None = None
        if weights.nearest > 0 and any(e.phrasings for e in entries):
            phrasings = vectors.shared([p for e in entries for p in e.phrasings])
            self._nearest = NearestPhrasing(phrasings, [len(e.phrasings) for e in entries],
                                            weights.nearest_temperature)
        self._classifier = _classifier(entries, vectors, weights, phrasings)

    def rank(self, text: str, limit: int = 5) -> list[Scored]:
        """The best `limit` entries for `text`, best first, scores in [0, 1]; a text worded
        as one of an entry's phrasings ranks that entry first, with score 1 and `exact`.

        That alone decides the answer, so with a lexical matcher the model is not run for it:
        the others are ranked by the lexical matcher.
        """
        exact = self._exact.get(phrasing_key(text))
        if self._classifier is None or not text.strip() or (
                exact is not None and self._lexical is not None):
            return self._lexical.rank(text, limit) if self._lexical is not None else []
        vector = self._encoder.embed([text[:MATCH_CHAR_LIMIT]], QUESTION_TOKENS)
        scores = self._classifier.probabilities(vector)[0]
        nearest: np.ndarray | None = None
        if self._nearest is not None:
            nearest = self._nearest.probabilities(vector[0])
            scores = (1.0 - self._w.nearest) * scores + self._w.nearest * nearest
        worded: set[int] | None = None  # the lexical matcher's best `worded_ranks` entries
        if self._lexical is not None:
            scores = (1.0 - self._w.lexical) * scores
            lexical = self._lexical.rank(text, limit=max(limit, 5, self._w.worded_ranks))
            worded = {self._index[s.entry_id] for s in lexical[: self._w.worded_ranks]}
            for s in lexical:
                scores[self._index[s.entry_id]] += self._w.lexical * s.score
        k = min(limit + 1, len(scores))  # the best k, without sorting thousands of entries
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else range(k)
        order = sorted((int(i) for i in best), key=lambda i: (-scores[i], i))
        ranked = [Scored(self._ids[i], min(float(scores[i]), 1.0), self._in_scope[i],
                         corroborated=self._corroborated(i, nearest, worded))
                  for i in order if i != exact]
        if exact is not None:
            ranked.insert(0, Scored(self._ids[exact], 1.0, self._in_scope[exact], exact=True))
        return ranked[:limit]

    def _corroborated(self, i: int, nearest: np.ndarray | None, worded: set[int] | None) -> bool:
        """Whether entry `i`, if an out-of-scope subject, owes its place to more than the
        classifier: the lexical matcher ranks it among its best (`worded`), or one of its own
        phrasings is near the question (a nearest-phrasing probability of `corroboration`).

        The classifier reads a subject as a whole, and a broad subject (support, job search)
        draws vague posts that resemble none of its phrasings; declining needs a second
        signal. Without both signals (the semantic stage alone) there is nothing to check
        the classifier by, and every subject counts as corroborated."""
        if self._in_scope[i] or nearest is None or worded is None:
            return True
        return i in worded or float(nearest[i]) >= self._w.corroboration
