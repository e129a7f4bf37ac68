"""Platform event claims (a retried delivery is answered once) and moderator relay threads.

Revision ID: 0004_slack
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_slack"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_claims",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_platform_claims_claimed_at", "platform_claims", ["claimed_at"])
    op.create_table(
        "relay_threads",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("thread", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("relay_threads")
    op.drop_index("ix_platform_claims_claimed_at", "platform_claims")
    op.drop_table("platform_claims")
