"""verdict tables: one writer per table. The cue stage's decision on a pair moves from pair's columns to
pair_verdict, verification's decision on an instruction (and the duplicate check's keys) from instruction's columns to
instruction_verdict.

pair.status keeps only the pair stage's own call (paired | dropped); instruction.status only synthesis's
(generated | failed). Existing decisions are copied over, then the columns go.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-12 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

JSONB = postgresql.JSONB(astext_type=sa.Text())


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "pair_verdict",
        sa.Column("pair_id", sa.UUID(), nullable=False),
        sa.Column("video_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("n_cues", sa.Integer(), nullable=True),
        sa.Column("cue_score", sa.Float(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pair.id"], name=op.f("fk_pair_verdict_pair_id_pair"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["video.id"], name=op.f("fk_pair_verdict_video_id_video"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pair_id", name=op.f("pk_pair_verdict")),
    )
    op.create_index(op.f("ix_pair_verdict_status"), "pair_verdict", ["status"])
    op.create_index(op.f("ix_pair_verdict_video_id"), "pair_verdict", ["video_id"])
    op.create_table(
        "instruction_verdict",
        sa.Column("instruction_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reject_reasons", JSONB, nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("near_key", sa.String(length=64), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["instruction.id"],
            name=op.f("fk_instruction_verdict_instruction_id_instruction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instruction_id", name=op.f("pk_instruction_verdict")),
    )
    for column in ("status", "fingerprint", "near_key"):
        op.create_index(op.f(f"ix_instruction_verdict_{column}"), "instruction_verdict", [column])

    # A pair the cue stage scored has n_cues set (kept or dropped) or status failed; one dropped with no
    # count was dropped by the pair stage itself (no speech) and never scored.
    op.execute(
        "INSERT INTO pair_verdict (pair_id, video_id, status, reason, n_cues, cue_score) "
        "SELECT id, video_id, status, drop_reason, n_cues, cue_score FROM pair "
        "WHERE status IN ('kept', 'failed') OR (status = 'dropped' AND n_cues IS NOT NULL)"
    )
    op.execute(
        "UPDATE pair SET status = 'paired', drop_reason = NULL "
        "WHERE status IN ('pending', 'kept', 'failed') OR (status = 'dropped' AND n_cues IS NOT NULL)"
    )
    op.drop_column("pair", "n_cues")
    op.drop_column("pair", "cue_score")
    op.execute(
        "INSERT INTO instruction_verdict (instruction_id, status, reject_reasons, fingerprint, near_key) "
        "SELECT id, status, reject_reasons, fingerprint, near_key FROM instruction "
        "WHERE status IN ('accepted', 'rejected') AND fingerprint IS NOT NULL AND near_key IS NOT NULL"
    )
    op.execute("UPDATE instruction SET status = 'generated' WHERE status IN ('accepted', 'rejected')")
    for column in ("reject_reasons", "fingerprint", "near_key"):
        op.drop_column("instruction", column)


def downgrade() -> None:
    op.add_column("instruction", sa.Column("reject_reasons", JSONB, nullable=True))
    op.add_column("instruction", sa.Column("fingerprint", sa.String(length=64), nullable=True))
    op.add_column("instruction", sa.Column("near_key", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_instruction_fingerprint"), "instruction", ["fingerprint"])
    op.create_index(op.f("ix_instruction_near_key"), "instruction", ["near_key"])
    op.execute(
        "UPDATE instruction i SET status = v.status, reject_reasons = v.reject_reasons, "
        "fingerprint = v.fingerprint, near_key = v.near_key "
        "FROM instruction_verdict v WHERE v.instruction_id = i.id"
    )
    op.add_column("pair", sa.Column("cue_score", sa.Float(), nullable=True))
    op.add_column("pair", sa.Column("n_cues", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE pair p SET status = v.status, drop_reason = v.reason, n_cues = v.n_cues, cue_score = v.cue_score "
        "FROM pair_verdict v WHERE v.pair_id = p.id"
    )
    op.execute("UPDATE pair SET status = 'pending' WHERE status = 'paired'")
    op.drop_table("instruction_verdict")
    op.drop_table("pair_verdict")
