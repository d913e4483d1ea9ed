"""stage state and leases, video aliases (content identity), instruction model

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stage_state",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_key", sa.Text(), nullable=False),
        sa.Column("video_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("params_hash", sa.String(length=16), nullable=True),
        sa.Column("code_version", sa.String(length=32), nullable=True),
        sa.Column("input_digest", sa.String(length=16), nullable=True),
        sa.Column("stage_run_id", sa.UUID(), nullable=True),
        sa.Column("output", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("lease_owner", sa.Text(), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"], ["video.id"], name=op.f("fk_stage_state_video_id_video"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_state")),
        sa.UniqueConstraint("stage", "entity_key", name=op.f("uq_stage_state_stage_entity_key")),
    )
    op.create_index(op.f("ix_stage_state_stage"), "stage_state", ["stage"], unique=False)
    op.create_index(op.f("ix_stage_state_video_id"), "stage_state", ["video_id"], unique=False)

    op.create_table(
        "video_alias",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("video_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"], ["video.id"], name=op.f("fk_video_alias_video_id_video"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_alias")),
        sa.UniqueConstraint("url", name=op.f("uq_video_alias_url")),
    )
    op.create_index(op.f("ix_video_alias_video_id"), "video_alias", ["video_id"], unique=False)
    # Existing videos keep their ids; their URL becomes their first alias.
    op.execute(
        "INSERT INTO video_alias (id, url, video_id) "
        "SELECT gen_random_uuid(), url, id FROM video ON CONFLICT DO NOTHING"
    )
    op.drop_constraint(op.f("uq_video_url"), "video", type_="unique")

    op.add_column("instruction", sa.Column("model", sa.Text(), nullable=True))

    op.add_column("stage_run", sa.Column("input_digest", sa.String(length=16), nullable=True))
    op.add_column("stage_run", sa.Column("worker", sa.Text(), nullable=True))
    op.add_column("stage_run", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint(op.f("uq_stage_run_stage_entity_key_params_hash_attempt"), "stage_run", type_="unique")
    # Attempts are numbered per (stage, entity) across params; renumber history to fit the new key.
    op.execute(
        "UPDATE stage_run s SET attempt = r.n FROM ("
        " SELECT id, row_number() OVER (PARTITION BY stage, entity_key ORDER BY started_at, attempt) AS n"
        " FROM stage_run) r WHERE s.id = r.id"
    )
    op.create_unique_constraint(
        op.f("uq_stage_run_stage_entity_key_attempt"), "stage_run", ["stage", "entity_key", "attempt"]
    )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_stage_run_stage_entity_key_attempt"), "stage_run", type_="unique")
    op.create_unique_constraint(
        op.f("uq_stage_run_stage_entity_key_params_hash_attempt"),
        "stage_run",
        ["stage", "entity_key", "params_hash", "attempt"],
    )
    op.drop_column("stage_run", "heartbeat_at")
    op.drop_column("stage_run", "worker")
    op.drop_column("stage_run", "input_digest")
    op.drop_column("instruction", "model")
    op.create_unique_constraint(op.f("uq_video_url"), "video", ["url"])
    op.drop_index(op.f("ix_video_alias_video_id"), table_name="video_alias")
    op.drop_table("video_alias")
    op.drop_index(op.f("ix_stage_state_video_id"), table_name="stage_state")
    op.drop_index(op.f("ix_stage_state_stage"), table_name="stage_state")
    op.drop_table("stage_state")
