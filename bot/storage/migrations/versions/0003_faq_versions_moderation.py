"""FAQ versions, moderators, the audit log, the question log and inbox, feedback.

Existing entries become version 1 of their history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _utc(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.add_column("faq_entries", sa.Column("version", sa.Integer(), nullable=False,
                                           server_default="1"))
    op.add_column("faq_entries", sa.Column("removed", sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    op.create_table(
        "faq_versions",
        sa.Column("entry_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("alternates", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        _utc("created_at"),
    )
    op.execute(
        "INSERT INTO faq_versions (entry_id, version, title, kind, answer, alternates, tags, "
        "removed, author, reason, created_at) SELECT id, 1, title, kind, answer, alternates, "
        "tags, removed, 'knowledge sync', 'seeded from the knowledge pack', updated_at "
        "FROM faq_entries"
    )
    op.create_table(
        "revisions",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO revisions (name, value) VALUES ('faq', 1)")
    op.create_table(
        "moderators",
        sa.Column("identity", sa.String(200), primary_key=True),
        sa.Column("added_by", sa.String(200), nullable=False),
        _utc("added_at"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _utc("at"),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _utc("at"),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel_private", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=True),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("inbox_status", sa.String(16), nullable=True),
    )
    op.create_index("ix_questions_at", "questions", ["at"])
    op.create_index("ix_questions_entry_id", "questions", ["entry_id"])
    op.create_index("ix_questions_inbox", "questions", ["inbox_status", "at"])
    op.create_table(
        "candidate_phrasings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _utc("at"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_index("ix_candidate_phrasings_entry_id", "candidate_phrasings", ["entry_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _utc("at"),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
    )
    op.create_index("ix_feedback_entry_id", "feedback", ["entry_id"])


def downgrade() -> None:
    for table in ("feedback", "candidate_phrasings", "questions", "audit_log", "moderators",
                  "revisions", "faq_versions"):
        op.drop_table(table)
    op.drop_column("faq_entries", "removed")
    op.drop_column("faq_entries", "version")
