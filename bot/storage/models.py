"""The tables. Alembic migrations in `migrations/versions` create and change them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import false


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored and returned in UTC; SQLite, which keeps no zone, included."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if not isinstance(value, datetime):
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base of every forumbot table."""


class FaqEntryRow(Base):
    """The live FAQ entry; `seeded_hash` is the content the pack last seeded (None if never)."""

    __tablename__ = "faq_entries"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str] = mapped_column(Text)
    alternates: Mapped[list[str]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON)
    seeded_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    removed: Mapped[bool] = mapped_column(server_default=false())


class HandoffRow(Base):
    """A member's question offered to, then passed to, the moderators' queue."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user: Mapped[str] = mapped_column(String(200), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel_private: Mapped[bool]
    question: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # offered|queued|answered|closed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal kept as text: SQLite has no decimal type, and no sums are done in SQL."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class AccountRow(Base):
    """A marketplace account, as imported or pushed by the webhook."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))


class ContractRow(Base):
    """A contract; its milestones or invoices are separate rows."""

    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    freelancer_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    currency: Mapped[str] = mapped_column(String(8))
    hourly_rate: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    weekly_limit_hours: Mapped[int | None] = mapped_column(Integer, nullable=True)


class MilestoneRow(Base):
    """One milestone of a fixed-price contract, keyed by its contract and sequence number."""

    __tablename__ = "milestones"

    contract_id: Mapped[str] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column(DecimalText())
    status: Mapped[str] = mapped_column(String(24))
    due: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    funded_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    available_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True,
                                                          index=True)


class InvoiceRow(Base):
    """One week of an hourly contract."""

    __tablename__ = "invoices"

    contract_id: Mapped[str] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True
    )
    week_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    hours: Mapped[Decimal] = mapped_column(DecimalText())
    amount: Mapped[Decimal] = mapped_column(DecimalText())
    status: Mapped[str] = mapped_column(String(16))
    available_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True,
                                                          index=True)


class ToldPaymentRow(Base):
    """A milestone's or invoice's payment told available (`milestone:2`, `invoice:2026-11-16`):
    whoever tells it first (a webhook, a scan, a replica) marks it, and nobody tells it again."""

    __tablename__ = "told_payments"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    told_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LinkRow(Base):
    """A chat identity linked to a marketplace account."""

    __tablename__ = "links"

    identity: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    notify: Mapped[bool]
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LinkCodeRow(Base):
    """A one-time link code, kept only as its SHA-256."""

    __tablename__ = "link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class LinkFailureRow(Base):
    """A wrong link code sent by an identity; five within an hour lock it out."""

    __tablename__ = "link_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identity: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookEventRow(Base):
    """A webhook event already applied: the same id is acknowledged and not applied again."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class NotificationRow(Base):
    """The outbox: a notification for one linked identity, written with the change it tells."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identity: Mapped[str] = mapped_column(String(200), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    template: Mapped[str] = mapped_column(String(64))
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # pending | sending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class FaqVersionRow(Base):
    """Every version of every FAQ entry, with who made it, when and why; never overwritten."""

    __tablename__ = "faq_versions"

    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str] = mapped_column(Text)
    alternates: Mapped[list[str]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON)
    removed: Mapped[bool]
    author: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RevisionRow(Base):
    """A named counter bumped with every change of its data (`faq`): other processes poll it."""

    __tablename__ = "revisions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class ModeratorRow(Base):
    """An identity allowed to edit the FAQ and work the inbox."""

    __tablename__ = "moderators"

    identity: Mapped[str] = mapped_column(String(200), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditRow(Base):
    """One moderator action: who, when, what, on which target, and a one-line detail."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)


class QuestionRow(Base):
    """A question's outcome, for stats; its text only when it was not answered (the inbox).

    No identity is stored here: the inbox shows what was asked, not who asked it.
    """

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_inbox", "inbox_status", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel_private: Mapped[bool]
    outcome: Mapped[str] = mapped_column(String(16))  # answer | suggest | decline
    entry_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    suggestions: Mapped[list[str]] = mapped_column(JSON)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    inbox_status: Mapped[str | None] = mapped_column(String(16), nullable=True)


class CandidatePhrasingRow(Base):
    """A "did you mean" pick: the question a member asked and the entry they chose."""

    __tablename__ = "candidate_phrasings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    text: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # open | accepted | rejected


class FeedbackRow(Base):
    """A member's helpful / not helpful rating of an answer."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    entry_id: Mapped[str] = mapped_column(String(64), index=True)
    helpful: Mapped[bool]
    platform: Mapped[str] = mapped_column(String(32))


class PlatformClaimRow(Base):
    """A platform event id being (or already) answered: its retries find it and stay quiet."""

    __tablename__ = "platform_claims"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class RelayThreadRow(Base):
    """A question posted to the moderators' thread `key`: their replies go to this thread."""

    __tablename__ = "relay_threads"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str] = mapped_column(String(200))
    thread: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PhrasingVectorRow(Base):
    """A phrasing's sentence vector (float32 bytes), by model and the sha256 of its text."""

    __tablename__ = "phrasing_vectors"
    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    text_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class SemanticClassifierRow(Base):
    """The classifier last fitted on the phrasing vectors, by a fingerprint of its inputs:
    the weights as float32 bytes, one row per dimension and the bias last."""

    __tablename__ = "semantic_classifiers"
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    classes: Mapped[int] = mapped_column(Integer, nullable=False)
    weights: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
