"""Contract data, chat-identity links, webhook events and the notification outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _utc(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("freelancer_id", sa.String(64), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _utc("started_at", nullable=False),
        _utc("ended_at"),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("hourly_rate", sa.String(32), nullable=True),
        sa.Column("weekly_limit_hours", sa.Integer(), nullable=True),
    )
    op.create_index("ix_contracts_client_id", "contracts", ["client_id"])
    op.create_index("ix_contracts_freelancer_id", "contracts", ["freelancer_id"])
    op.create_table(
        "milestones",
        sa.Column("contract_id", sa.String(64),
                  sa.ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("amount", sa.String(32), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        _utc("due"),
        _utc("funded_at"),
        _utc("submitted_at"),
        _utc("approved_at"),
        _utc("available_at"),
    )
    op.create_table(
        "invoices",
        sa.Column("contract_id", sa.String(64),
                  sa.ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("week_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("hours", sa.String(32), nullable=False),
        sa.Column("amount", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _utc("available_at"),
    )
    op.create_table(
        "links",
        sa.Column("identity", sa.String(200), primary_key=True),
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        _utc("linked_at", nullable=False),
    )
    op.create_index("ix_links_account_id", "links", ["account_id"])
    op.create_table(
        "link_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id"), nullable=False),
        _utc("expires_at", nullable=False),
        _utc("used_at"),
    )
    op.create_table(
        "link_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("identity", sa.String(200), nullable=False),
        _utc("at", nullable=False),
    )
    op.create_index("ix_link_failures_identity", "link_failures", ["identity"])
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("type", sa.String(64), nullable=False),
        _utc("received_at", nullable=False),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("identity", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _utc("created_at", nullable=False),
        _utc("next_attempt_at", nullable=False),
        _utc("delivered_at"),
    )
    op.create_index("ix_notifications_identity", "notifications", ["identity"])
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at"])


def downgrade() -> None:
    for table in ("notifications", "webhook_events", "link_failures", "link_codes", "links",
                  "invoices", "milestones", "contracts", "accounts"):
        op.drop_table(table)
