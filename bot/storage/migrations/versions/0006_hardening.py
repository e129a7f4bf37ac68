"""Payments told available: a mark per milestone or invoice, so that it is told once.

Revision ID: 0006_hardening
Revises: 0004_slack
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_hardening"
down_revision = "0004_slack"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "told_payments",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("item", sa.String(40), primary_key=True),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_milestones_available_at", "milestones", ["available_at"])
    op.create_index("ix_invoices_available_at", "invoices", ["available_at"])


def downgrade() -> None:
    op.drop_index("ix_invoices_available_at", "invoices")
    op.drop_index("ix_milestones_available_at", "milestones")
    op.drop_table("told_payments")
