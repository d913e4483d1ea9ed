"""frame de-identification and clinical score, refined cue text, instruction near-duplicate key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("frame", sa.Column("faces_blurred", sa.Integer(), nullable=True))
    op.add_column("frame", sa.Column("text_redacted", sa.Integer(), nullable=True))
    op.add_column(
        "frame", sa.Column("redaction_reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column("frame", sa.Column("clinical_score", sa.Float(), nullable=True))
    op.add_column("frame", sa.Column("clinical_reason", sa.Text(), nullable=True))
    op.add_column("visual_cue", sa.Column("raw_text", sa.Text(), nullable=True))
    op.add_column(
        "visual_cue", sa.Column("corrections", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column("instruction", sa.Column("near_key", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_instruction_near_key"), "instruction", ["near_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_instruction_near_key"), table_name="instruction")
    op.drop_column("instruction", "near_key")
    op.drop_column("visual_cue", "corrections")
    op.drop_column("visual_cue", "raw_text")
    for column in (
        "clinical_reason",
        "clinical_score",
        "redaction_reasons",
        "text_redacted",
        "faces_blurred",
    ):
        op.drop_column("frame", column)
