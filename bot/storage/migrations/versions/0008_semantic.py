"""The semantic matcher's cache: phrasing vectors by model and text, its fitted classifier.

Revision ID: 0008_semantic
Revises: 0006_hardening
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_semantic"
down_revision = "0006_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phrasing_vectors",
        sa.Column("model", sa.String(64), primary_key=True),
        sa.Column("text_key", sa.String(64), primary_key=True),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "semantic_classifiers",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("classes", sa.Integer(), nullable=False),
        sa.Column("weights", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("semantic_classifiers")
    op.drop_table("phrasing_vectors")
