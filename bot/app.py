"""The composition root: the one place that creates the engine, loads knowledge and wires."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from bot.assistant import Assistant
from bot.contracts.personal import PersonalDesk
from bot.faq.desk import FaqDesk
from bot.faq.editing import FaqEditor
from bot.faq.entries import FaqEntry
from bot.faq.knowledge_pack import KnowledgePack, index_entry, load_pack
from bot.faq.live import LiveFaq, Snapshot
from bot.faq.matching import Matcher, index_entries
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


def build_matcher(entries: Sequence[FaqEntry], pack: KnowledgePack) -> Matcher:
    """A matcher over the live entries plus the pack's out-of-scope subjects."""
    indexed = [index_entry(e) for e in entries] + list(pack.out_of_scope)
    return Matcher(index_entries(indexed), pack.vocabulary)


def build_app(settings: Settings, observer: Observer | None = None) -> App:
    """Migrate the database, seed it on first start, and wire the assistant.

    `observer` (an adapter's metrics) is told of questions, replies and refused link codes.
    """
    observer = observer or NoObserver()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    pack = load_pack(settings.knowledge_dir or knowledge_dir())
    faq = SqlFaqStore(engine)
    if settings.seed_on_start and faq.is_empty():
        faq.sync(pack.entries)

    def snapshot() -> Snapshot:
        entries = faq.all_entries()
        return Snapshot({e.id: e for e in entries}, build_matcher(entries, pack))
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
        thresholds=settings.thresholds,
        personal=PersonalDesk(links, contracts, clock=utc_now, vocabulary=pack.vocabulary,
                              observer=observer),
        moderation=FaqDesk(editor),
        questions=questions,
        inbox=InboxDesk(questions, editor, live, settings.thresholds, clock=utc_now),
        queue=HandoffDesk(handoffs, editor, clock=utc_now),
        observer=observer,
    )
    return App(settings=settings, engine=engine, pack=pack, faq=faq, handoffs=handoffs,
               links=links, contracts=contracts, assistant=assistant, renderer=renderer,
               moderators=moderators, editor=editor, audit=SqlAuditLog(engine),
               questions=questions)


def utc_now() -> datetime:
    """The clock every part of the app reads."""
    return datetime.now(UTC)
