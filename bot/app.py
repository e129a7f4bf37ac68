"""The composition root: the one place that creates the engine, loads knowledge and wires."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.assistant import Assistant
from bot.contracts.personal import PersonalDesk
from bot.faq.desk import FaqDesk
from bot.faq.editing import FaqEditor
from bot.faq.embedding import ModelUnavailable, load_encoder, locate_model
from bot.faq.entries import FaqEntry
from bot.faq.knowledge_pack import KnowledgePack, index_entry, load_pack
from bot.faq.live import LiveFaq, Snapshot
from bot.faq.matching import Matcher, Ranker, index_entries
from bot.faq.policy import SEMANTIC_THRESHOLDS, Thresholds
from bot.faq.semantic import PhrasingVectors, SemanticMatcher, SemanticWeights, read_shipped
from bot.inbox.desk import InboxDesk
from bot.inbox.handoffs import HandoffDesk
from bot.observer import NoObserver, Observer
from bot.rendering import Renderer
from bot.resources import knowledge_dir, templates_dir
from bot.settings import Settings
from bot.storage.audit_store import SqlAuditLog
from bot.storage.contract_store import SqlContractStore
from bot.storage.database import make_engine, upgrade
from bot.storage.faq_editing_store import SqlFaqVersions
from bot.storage.faq_store import SqlFaqStore
from bot.storage.handoff_store import SqlHandoffStore
from bot.storage.link_store import SqlLinkStore
from bot.storage.moderator_store import SqlModerators
from bot.storage.question_store import SqlQuestionLog
from bot.storage.vector_store import SqlVectorStore

log = logging.getLogger(__name__)
# The pack's phrasing vectors and classifier, computed when it changes (tools/pack_vectors.py).
PACK_VECTORS = "vectors.npz"


@dataclass(frozen=True)
class App:
    """Everything an adapter needs, wired."""

    settings: Settings
    engine: Engine
    pack: KnowledgePack
    faq: SqlFaqStore
    handoffs: SqlHandoffStore
    links: SqlLinkStore
    contracts: SqlContractStore
    assistant: Assistant
    renderer: Renderer
    moderators: SqlModerators
    editor: FaqEditor
    audit: SqlAuditLog
    questions: SqlQuestionLog
    matcher: str = "lexical"  # the matcher in use: lexical, semantic or fused


def build_matcher(entries: Sequence[FaqEntry], pack: KnowledgePack,
                  vectors: PhrasingVectors | None = None, mode: str = "lexical",
                  weights: SemanticWeights | None = None) -> Ranker:
    """A matcher over the live entries plus the pack's out-of-scope subjects: the lexical
    matcher, or with `vectors` the semantic stage alone or fused with it (`mode`)."""
    indexed = index_entries([index_entry(e) for e in entries] + list(pack.out_of_scope))
    if vectors is None or mode == "lexical":
        return Matcher(indexed, pack.vocabulary)
    lexical = Matcher(indexed, pack.vocabulary) if mode == "fused" else None
    return SemanticMatcher(indexed, vectors, lexical, weights or SemanticWeights())


def load_vectors(settings: Settings, engine: Engine, knowledge: Path) -> PhrasingVectors | None:
    """The semantic stage's phrasing vectors, or None for the lexical matcher alone: when the
    settings ask for it, or when the model cannot be loaded (one log line says why)."""
    if settings.matcher == "lexical":
        return None
    try:
        encoder = load_encoder(locate_model(settings.model_path, settings.model_sha256))
    except ModelUnavailable as exc:
        log.warning("the semantic matcher is off, answering with the lexical matcher alone: %s",
                    exc.reason)
        return None
    shipped = read_shipped(knowledge / PACK_VECTORS, encoder.model_id)
    return PhrasingVectors(encoder, SqlVectorStore(engine), shipped)


def thresholds_for(settings: Settings, mode: str) -> Thresholds:
    """The answer policy's thresholds for the matcher in use."""
    return {"lexical": settings.thresholds, "fused": settings.fused_thresholds,
            "semantic": SEMANTIC_THRESHOLDS}[mode]


def build_app(settings: Settings, observer: Observer | None = None) -> App:
    """Migrate the database, seed it on first start, and wire the assistant.

    `observer` (an adapter's metrics) is told of questions, replies and refused link codes.
    """
    observer = observer or NoObserver()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    knowledge = settings.knowledge_dir or knowledge_dir()
    pack = load_pack(knowledge)
    faq = SqlFaqStore(engine)
    if settings.seed_on_start and faq.is_empty():
        faq.sync(pack.entries)
    vectors = load_vectors(settings, engine, knowledge)
    mode = settings.matcher if vectors is not None else "lexical"
    thresholds = thresholds_for(settings, mode)
    weights = SemanticWeights(lexical=settings.lexical_weight)

    def snapshot() -> Snapshot:
        entries = faq.all_entries()
        return Snapshot({e.id: e for e in entries},
                        build_matcher(entries, pack, vectors, mode, weights))
    handoffs = SqlHandoffStore(engine)
    links = SqlLinkStore(engine)
    contracts = SqlContractStore(engine)
    live = LiveFaq(snapshot, faq.revision)
    renderer = Renderer(templates_dir())
    moderators = SqlModerators(engine)
    editor = FaqEditor(SqlFaqVersions(engine), moderators, renderer, clock=utc_now,
                       on_change=live.refresh)
    questions = SqlQuestionLog(engine, clock=utc_now,
                               retention=timedelta(days=settings.inbox_retention_days))
    assistant = Assistant(
        handoffs=handoffs,
        faq=live,
        thresholds=thresholds,
        personal=PersonalDesk(links, contracts, clock=utc_now, vocabulary=pack.vocabulary,
                              observer=observer),
        moderation=FaqDesk(editor),
        questions=questions,
        inbox=InboxDesk(questions, editor, live, thresholds, clock=utc_now),
        queue=HandoffDesk(handoffs, editor, clock=utc_now),
        observer=observer,
    )
    return App(settings=settings, engine=engine, pack=pack, faq=faq, handoffs=handoffs,
               links=links, contracts=contracts, assistant=assistant, renderer=renderer,
               moderators=moderators, editor=editor, audit=SqlAuditLog(engine),
               questions=questions, matcher=mode)


def utc_now() -> datetime:
    """The clock every part of the app reads."""
    return datetime.now(UTC)
