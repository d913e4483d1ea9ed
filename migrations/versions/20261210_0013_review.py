"""review: review_batch (stratified samples), review_item, review_label (people's verdicts on instructions)

Labels never change an instruction row; one label per (instruction, reviewer), replaced on relabelling.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

JSONB = postgresql.JSONB(astext_type=sa.Text())
# As ophin.db.review_models spells them when this revision was written.
VERDICTS = "'good', 'usable', 'bad'"
TAGS = "'misheard_term', 'wrong_modality', 'not_visible', 'invented', 'phi', 'artefact', 'duplicate', 'other'"
SOURCES = "'ui', 'label-studio', 'cli'"


def upgrade() -> None:
    op.create_table(
        "review_batch",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("strata", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_batch")),
        sa.UniqueConstraint("name", name=op.f("uq_review_batch_name")),
    )
    op.create_table(
        "review_item",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("batch_id", sa.UUID(), nullable=False),
        sa.Column("instruction_id", sa.UUID(), nullable=False),
        sa.Column("stratum", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["review_batch.id"],
            name=op.f("fk_review_item_batch_id_review_batch"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["instruction.id"],
            name=op.f("fk_review_item_instruction_id_instruction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_item")),
        sa.UniqueConstraint(
            "batch_id", "instruction_id", name=op.f("uq_review_item_batch_id_instruction_id")
        ),
    )
    op.create_index(op.f("ix_review_item_instruction_id"), "review_item", ["instruction_id"], unique=False)
    op.create_table(
        "review_label",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("instruction_id", sa.UUID(), nullable=False),
        sa.Column("batch_id", sa.UUID(), nullable=True),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("correction", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(f"verdict IN ({VERDICTS})", name=op.f("ck_review_label_verdict")),
        sa.CheckConstraint(f"tags <@ ARRAY[{TAGS}]::text[]", name=op.f("ck_review_label_tags")),
        sa.CheckConstraint(f"source IN ({SOURCES})", name=op.f("ck_review_label_source")),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["instruction.id"],
            name=op.f("fk_review_label_instruction_id_instruction"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["review_batch.id"],
            name=op.f("fk_review_label_batch_id_review_batch"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_label")),
        sa.UniqueConstraint(
            "instruction_id", "reviewer", name=op.f("uq_review_label_instruction_id_reviewer")
        ),
    )
    op.create_index(op.f("ix_review_label_batch_id"), "review_label", ["batch_id"], unique=False)


def downgrade() -> None:
    for table in ("review_label", "review_item", "review_batch"):
        op.drop_table(table)
