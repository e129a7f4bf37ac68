"""The semantic stage: the real model shipped inside forumbot, the classifier, fusing, the
cache."""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.app import PACK_VECTORS, App
from bot.faq import embedding
from bot.faq.embedding import (
    MAX_TOKENS,
    MODEL_SHA256,
    PACKAGED_MODEL,
    PROBE_SHA256,
    QUESTION_TOKENS,
    SIGNED_MODEL,
    SIGNED_SHA256,
    Encoder,
    FasterFile,
    load_encoder,
    locate_model,
)
from bot.faq.knowledge_pack import KnowledgePack
from bot.faq.matching import IndexEntry, Matcher
from bot.faq.policy import Outcome
from bot.faq.semantic import (
    NearestPhrasing,
    PhrasingVectors,
    SemanticMatcher,
    SemanticWeights,
    read_shipped,
    text_key,
)
from bot.faq.vocabulary import Vocabulary
from bot.faq.wordpiece import WordPiece
from bot.messages import Incoming
from bot.resources import knowledge_dir
from bot.storage.models import PhrasingVectorRow
from bot.storage.vector_store import SqlVectorStore
from tests.faq.tiny_onnx import identity_model

PACK = [
    IndexEntry("payment-stages", (
        "why is my payment pending after approval", "when does pending money become available",
        "how long is the security period before I can withdraw")),
    IndexEntry("refund-request", (
        "how do I ask for my money back", "the client wants a refund", "request a refund")),
    IndexEntry("profile-photo", (
        "how do I change my profile picture", "upload a new photo", "my avatar is wrong")),
    IndexEntry("out-of-scope:small-talk", (
        "tell me a joke", "what is the weather today", "who won the football game"),
        in_scope=False),
]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    """The shipped model, verified and loaded once for this module."""
    return load_encoder(locate_model())


def test_the_tokenizer_gives_the_models_own_pieces() -> None:
    ids = WordPiece.from_file().encode('My buyer\'s order is "Pending Clearance", naïve café?!',
                                       128)
    # As the model's tokenizer.json gives them: [CLS] my buyer ' s order is " pending
    # clearance " , naive cafe ? ! [SEP]
    assert ids == [101, 2026, 17634, 1005, 1055, 2344, 2003, 1000, 14223, 14860, 1000, 1010,
                   15743, 7668, 1029, 999, 102]
    assert len(WordPiece.from_file().encode("word " * 500, 128)) == 128


def test_the_packaged_model_is_verified_by_its_pinned_checksum() -> None:
    model = locate_model()
    assert model.sha256 == MODEL_SHA256 and model.path == PACKAGED_MODEL


def test_the_model_file_shipped_in_the_package_has_the_pinned_checksum() -> None:
    digest = hashlib.sha256(PACKAGED_MODEL.read_bytes()).hexdigest()
    assert digest == MODEL_SHA256, (
        f"{PACKAGED_MODEL.name} is not the file pinned in bot/faq/embedding.py: derive it with "
        "tools/derive_model.py, pin its sha256, then run tools/pack_vectors.py")


def test_the_signed_model_shipped_in_the_package_has_its_pinned_checksum() -> None:
    model = locate_model()
    assert model.faster == FasterFile(SIGNED_MODEL, PROBE_SHA256)
    assert hashlib.sha256(SIGNED_MODEL.read_bytes()).hexdigest() == SIGNED_SHA256


def test_whichever_file_runs_a_question_gets_the_packaged_models_vector_to_the_bit(
        encoder: Encoder) -> None:
    # The signed file runs only on a CPU where it gives the packaged model's bytes (VNNI);
    # elsewhere the packaged model itself runs. Either way, the same vectors.
    reference = load_encoder(replace(locate_model(), faster=None))
    assert reference.path == PACKAGED_MODEL
    texts = [phrasing for entry in PACK for phrasing in entry.phrasings]
    texts += ["", "My buyer's order is \"Pending Clearance\", naïve café?!", "word " * 500]
    for tokens in (QUESTION_TOKENS, MAX_TOKENS):
        assert encoder.embed(texts, tokens).tobytes() == reference.embed(texts, tokens).tobytes()
    assert encoder.model_id == reference.model_id == MODEL_SHA256


def test_a_faster_file_that_gives_other_vectors_is_not_run() -> None:
    model = replace(locate_model(), faster=FasterFile(SIGNED_MODEL, "0" * 64))
    assert load_encoder(model).path == PACKAGED_MODEL


def test_a_faster_file_onnxruntime_cannot_run_is_passed_over(tmp_path: Path) -> None:
    broken = tmp_path / "faster.onnx"
    broken.write_bytes(identity_model())  # loads, but wants an input forumbot does not feed
    encoder = load_encoder(replace(locate_model(), faster=FasterFile(broken, PROBE_SHA256)))
    assert encoder.path == PACKAGED_MODEL
    assert np.isclose(np.linalg.norm(encoder.embed(["pending"])), 1.0, atol=1e-5)


def test_a_damaged_signed_model_is_not_used_and_said_in_one_log_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    damaged = tmp_path / SIGNED_MODEL.name
    data = bytearray(SIGNED_MODEL.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(embedding, "SIGNED_MODEL", damaged)
    with caplog.at_level(logging.WARNING):
        model = locate_model()
    assert model.faster is None and model.path == PACKAGED_MODEL
    assert [r.getMessage().split(" has sha256")[0] for r in caplog.records] == [damaged.name]


def test_sentences_that_mean_the_same_are_closer_than_unrelated_ones(encoder: Encoder) -> None:
    a, b, c = encoder.embed(["my funds are pending clearance",
                             "the payment is still pending, not available yet",
                             "tell me a joke about cats"])
    assert np.isclose(np.linalg.norm(a), 1.0, atol=1e-5)
    assert float(a @ b) > float(a @ c) + 0.2


def test_the_shortest_and_the_longest_texts_each_give_a_unit_vector(encoder: Encoder) -> None:
    # Two tokens ([CLS] [SEP]) and the 128 the model reads: the graph's per-row quantizing
    # and attention take any length between.
    vectors = encoder.embed(["", "word " * 500, "pending"])
    assert np.isfinite(vectors).all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_question_in_another_marketplaces_words_is_ranked_by_meaning(
    encoder: Encoder, engine: Engine,
) -> None:
    vectors = PhrasingVectors(encoder, SqlVectorStore(engine))
    matcher = SemanticMatcher(PACK, vectors, Matcher(PACK, Vocabulary()))
    assert matcher.rank("seller here, my earnings say funds pending clearance")[0].entry_id \
        == "payment-stages"
    assert matcher.rank("the buyer asked to cancel the order and get reimbursed")[0].entry_id \
        == "refund-request"
    assert not matcher.rank("any good jokes today?")[0].in_scope


def test_an_entry_is_as_near_as_its_nearest_phrasing_not_as_its_phrasings_on_average(
        encoder: Encoder) -> None:
    photos = ["how do I change my profile picture", "upload a new photo", "my avatar is wrong",
              "profile photo looks blurry"]
    refunds = ["how do I ask for my money back", "the client wants a refund",
               "client didn't pay me, can I get a refund"]
    phrasings = encoder.embed([*photos, "the buyer never paid for the order I delivered",
                               *refunds])
    question = encoder.embed(["my buyer has not paid for the order I delivered"])[0]
    on_average = [float(question @ m / np.linalg.norm(m))
                  for m in (phrasings[:5].mean(axis=0), phrasings[5:].mean(axis=0))]
    assert on_average[0] < on_average[1]  # the first entry's phrasings are mostly about photos
    odds = NearestPhrasing(phrasings, [5, 0, 3], temperature=0.04).probabilities(question)
    assert odds.argmax() == 0 and np.isclose(odds.sum(), 1.0)
    assert odds[1] < 1e-6  # an entry without phrasings is never near


def test_an_entrys_last_phrasing_counts_when_the_entries_after_it_have_none() -> None:
    phrasings = np.eye(5, dtype=np.float32)  # five phrasings, each along its own axis
    question = phrasings[4]  # worded exactly as the second entry's last phrasing
    odds = NearestPhrasing(phrasings, [2, 3, 0, 0], temperature=0.04).probabilities(question)
    assert odds.argmax() == 1 and odds[1] > 0.99


def test_a_subject_only_the_classifier_ranks_first_is_not_corroborated(
        encoder: Encoder, engine: Engine) -> None:
    vectors = PhrasingVectors(encoder, SqlVectorStore(engine))
    words = Matcher([e for e in PACK if e.in_scope], Vocabulary())  # knows no subject's words
    question = "got any funny stories?"
    near = SemanticMatcher(PACK, vectors, words).rank(question)[0]
    assert (near.entry_id, near.corroborated) == ("out-of-scope:small-talk", True)
    unreachable = SemanticWeights(corroboration=1.01)  # no nearest phrasing is near enough
    alone = SemanticMatcher(PACK, vectors, words, unreachable).rank(question)[0]
    assert (alone.entry_id, alone.corroborated) == ("out-of-scope:small-talk", False)
    worded = SemanticMatcher(PACK, vectors, Matcher(PACK, Vocabulary()), unreachable)
    assert worded.rank("tell me a joke please")[0].corroborated
    semantic_alone = SemanticMatcher(PACK, vectors, None, unreachable)
    assert semantic_alone.rank(question)[0].corroborated


def test_a_phrasing_typed_exactly_is_answered_with_its_entry(encoder: Encoder,
                                                             engine: Engine) -> None:
    vectors = PhrasingVectors(encoder, SqlVectorStore(engine))
    top = SemanticMatcher(PACK, vectors, None).rank("Upload a new photo!")[0]
    assert (top.entry_id, top.exact, top.score) == ("profile-photo", True, 1.0)


def test_a_phrasing_typed_exactly_is_answered_by_the_fused_matcher_without_the_model(
        encoder: Encoder, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    matcher = SemanticMatcher(PACK, PhrasingVectors(encoder, SqlVectorStore(engine)),
                              Matcher(PACK, Vocabulary()))
    embedded: list[Sequence[str]] = []
    real = encoder.embed

    def counted(texts: Sequence[str], *rest: int) -> np.ndarray:
        embedded.append(texts)
        return real(texts, *rest)

    monkeypatch.setattr(encoder, "embed", counted)
    top = matcher.rank("Upload a new photo!")[0]
    assert (top.entry_id, top.exact, top.score) == ("profile-photo", True, 1.0)
    assert embedded == []
    assert matcher.rank("upload a new photo of me")[0].entry_id == "profile-photo"
    assert embedded == [["upload a new photo of me"]]  # other wordings are read by the model


def test_phrasing_vectors_are_kept_in_the_database_and_read_back_not_recomputed(
    encoder: Encoder, engine: Engine,
) -> None:
    store = SqlVectorStore(engine)
    SemanticMatcher(PACK, PhrasingVectors(encoder, store), None)
    with Session(engine) as session:
        stored = session.scalar(select(func.count()).select_from(PhrasingVectorRow))
    assert stored == sum(len(e.phrasings) for e in PACK)
    # A vector already stored is used as it is: another process's copy wins over embedding.
    marker = np.zeros(encoder.dimensions, dtype=np.float32)
    marker[0] = 1.0
    store.save("another-model", {text_key("tell me a joke"): marker})
    assert store.vectors("another-model", [text_key("tell me a joke")])[
        text_key("tell me a joke")].tolist() == marker.tolist()
    fresh = PhrasingVectors(encoder, store)
    again = fresh.of(["tell me a joke"])[0]
    assert np.allclose(again, encoder.embed(["tell me a joke"])[0], atol=1e-6)


def test_the_default_matcher_is_fused_and_answers_in_other_marketplaces_words(
    make_app: Callable[..., App], sqlite_database: str,
) -> None:
    app = make_app(sqlite_database, matcher="fused")
    assert app.matcher == "fused"
    decision = app.assistant.decide(
        "I just made my first sale and the site says funds pending clearance for my order. "
        "How long until I can withdraw it?")
    assert (decision.outcome, decision.entry_id) == (Outcome.ANSWER, "payment-stages")


def test_lexical_mode_loads_no_model(make_app: Callable[..., App], sqlite_database: str,
                                     tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        app = make_app(sqlite_database, matcher="lexical", model_path=tmp_path / "nothing")
    assert app.matcher == "lexical" and caplog.records == []
    assert app.assistant.decide("who sets the milestones?").entry_id == "milestones-who-sets"


@pytest.mark.parametrize("damage", ["missing", "checksum"])
def test_a_model_that_cannot_be_used_is_said_in_one_log_line_and_answers_go_on_lexically(
    make_app: Callable[..., App], sqlite_database: str, tmp_path: Path,
    caplog: pytest.LogCaptureFixture, damage: str,
) -> None:
    model = tmp_path / "model.onnx"
    if damage == "checksum":
        model.write_bytes(b"not the model")
    with caplog.at_level(logging.WARNING):
        app = make_app(sqlite_database, matcher="fused", model_path=model,
                       model_sha256=MODEL_SHA256)
    assert app.matcher == "lexical"
    assert len(caplog.records) == 1
    line = caplog.records[0].getMessage()
    assert "lexical matcher alone" in line and str(model) in line
    assert ("sha256" in line) == (damage == "checksum")
    assert app.assistant.decide("who sets the milestones?").entry_id == "milestones-who-sets"


def test_a_model_onnxruntime_loads_but_cannot_run_is_said_in_one_log_line_and_answers_go_on(
    make_app: Callable[..., App], sqlite_database: str, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(identity_model())  # loads, but wants an input forumbot does not feed
    with caplog.at_level(logging.WARNING):
        app = make_app(sqlite_database, matcher="fused", model_path=model)
    assert app.matcher == "lexical"
    assert len(caplog.records) == 1
    line = caplog.records[0].getMessage()
    assert "cannot run" in line and str(model) in line
    assert app.assistant.decide("who sets the milestones?").entry_id == "milestones-who-sets"


def test_an_operators_own_copy_of_the_model_is_used_when_its_checksum_matches(
    make_app: Callable[..., App], sqlite_database: str, tmp_path: Path,
) -> None:
    own = tmp_path / "export"
    own.mkdir()
    (own / "model.onnx").symlink_to(locate_model().path)
    app = make_app(sqlite_database, matcher="semantic", model_path=own,
                   model_sha256=MODEL_SHA256)
    assert app.matcher == "semantic"
    assert app.assistant.decide("how do I get my money back from the client").outcome \
        is not Outcome.DECLINE


def test_a_moderators_new_phrasing_is_embedded_on_save_and_answered_by_every_process(
    make_app: Callable[..., App], sqlite_database: str,
) -> None:
    first = make_app(sqlite_database, matcher="fused")
    second = make_app(sqlite_database, matcher="fused")
    wording = "my gig's payout got stuck behind a clearance hold"
    reply = first.assistant.handle(Incoming(
        text=f"faq alias payment-stages {wording}", user="console:ana", moderator=True))
    assert reply.template != "error"
    assert first.assistant.decide(wording).entry_id == "payment-stages"
    with Session(first.engine) as session:
        assert session.get(PhrasingVectorRow, (locate_model().sha256, text_key(wording)))
    second.assistant.faq.refresh()
    assert second.assistant.decide(wording).entry_id == "payment-stages"


def test_the_pack_ships_its_vectors_and_classifier_for_this_model(
    pack: KnowledgePack, tmp_path: Path,
) -> None:
    shipped = read_shipped(knowledge_dir() / PACK_VECTORS, MODEL_SHA256)
    phrasings = {p for e in pack.entries for p in (e.title, *e.alternates)}
    phrasings |= {p for e in pack.out_of_scope for p in e.phrasings}
    missing = {p for p in phrasings if text_key(p) not in shipped.vectors}
    assert not missing, "run tools/pack_vectors.py"
    assert len(shipped.classifiers) == 1
    copy = tmp_path / "vectors.npz"
    shutil.copyfile(knowledge_dir() / PACK_VECTORS, copy)
    assert read_shipped(copy, "another model").vectors == {}
