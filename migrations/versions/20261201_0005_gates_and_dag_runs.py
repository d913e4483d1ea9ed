"""stage_run records the Airflow run id; quality_run names its videos, its task and reads as a sentence;
video_gate

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stage_run", sa.Column("run_id", sa.Text(), nullable=True))
    op.create_index(
        "ix_stage_run_task_instance", "stage_run", ["dag_id", "run_id", "task_id", "map_index"], unique=False
    )
    op.add_column(
        "quality_run",
        sa.Column("video_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=True),
    )
    op.add_column("quality_run", sa.Column("summary", sa.Text(), nullable=True))
    for name in ("dag_id", "run_id", "task_id"):  # the Airflow task instance that ran the gate
        op.add_column("quality_run", sa.Column(name, sa.Text(), nullable=True))
    op.add_column(
        "quality_run",
        sa.Column("checked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "video_gate",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("video_id", sa.UUID(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("quality_run_id", sa.UUID(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"], ["video.id"], name=op.f("fk_video_gate_video_id_video"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["quality_run_id"],
            ["quality_run.id"],
            name=op.f("fk_video_gate_quality_run_id_quality_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_gate")),
        sa.UniqueConstraint("video_id", "stage", name=op.f("uq_video_gate_video_id_stage")),
    )
    op.create_index(op.f("ix_video_gate_video_id"), "video_gate", ["video_id"], unique=False)
    op.create_index(op.f("ix_video_gate_quality_run_id"), "video_gate", ["quality_run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_video_gate_quality_run_id"), table_name="video_gate")
    op.drop_index(op.f("ix_video_gate_video_id"), table_name="video_gate")
    op.drop_table("video_gate")
    op.drop_column("quality_run", "checked_at")
    for name in ("task_id", "run_id", "dag_id"):
        op.drop_column("quality_run", name)
    op.drop_column("quality_run", "summary")
    op.drop_column("quality_run", "video_ids")
    op.drop_index("ix_stage_run_task_instance", table_name="stage_run")
    op.drop_column("stage_run", "run_id")
