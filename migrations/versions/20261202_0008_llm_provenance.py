"""llm: per-row model provenance (cue scores, instructions, judge verdicts) and the response cache

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSONB = postgresql.JSONB(astext_type=sa.Text())

# (table, column, type). `llm` is the LlmCall record: configured and served model, prompt version, sampling,
# token counts, latency, cache key, whether it came from the cache, repair attempts and the raw failed replies.
COLUMNS: tuple[tuple[str, str, sa.types.TypeEngine], ...] = (
    ("instruction", "llm", JSONB),
    ("visual_cue", "model", sa.Text()),
    ("visual_cue", "prompt_version", sa.Text()),
    ("visual_cue", "llm", JSONB),
    ("verification", "model", sa.Text()),
    ("verification", "prompt_version", sa.Text()),
    ("verification", "verdict", JSONB),  # a judge's structured answer (criteria, invented findings)
    ("verification", "llm", JSONB),
)


def upgrade() -> None:
    for table, column, type_ in COLUMNS:
        op.add_column(table, sa.Column(column, type_, nullable=True))
    op.create_table(
        "llm_response",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("served_model", sa.Text(), nullable=True),
        sa.Column("prompt_version", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=False),
        sa.Column("hits", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_llm_response")),
    )


def downgrade() -> None:
    op.drop_table("llm_response")
    for table, column, _ in reversed(COLUMNS):
        op.drop_column(table, column)
