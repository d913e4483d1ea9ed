"""crawl: source, crawl_run, crawl_candidate (the archive), crawl_sighting, subtitle_track; video licence
evidence, upload date and language

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSONB = postgresql.JSONB(astext_type=sa.Text())


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.add_column("video", sa.Column("license_evidence", JSONB, nullable=True))
    op.add_column("video", sa.Column("upload_date", sa.String(length=10), nullable=True))
    op.add_column("video", sa.Column("language", sa.String(length=16), nullable=True))
    op.create_table(
        "source",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("max_items", sa.Integer(), nullable=False),
        sa.Column("newest_first", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("listing_complete", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("params", JSONB, server_default="{}", nullable=False),
        sa.Column("last_crawl_run_id", sa.UUID(), nullable=True),
        sa.Column("last_crawled_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
    )
    op.create_table(
        "crawl_run",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_ids", JSONB, server_default="[]", nullable=False),
        sa.Column("counts", JSONB, server_default="{}", nullable=False),
        sa.Column("rejected", JSONB, server_default="{}", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("origin", JSONB, server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_run")),
    )
    op.create_table(
        "crawl_candidate",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=True),
        sa.Column("first_crawl_run_id", sa.UUID(), nullable=True),
        sa.Column("last_crawl_run_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("failure_class", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("license", sa.Text(), nullable=True),
        sa.Column("license_ok", sa.Boolean(), nullable=True),
        sa.Column("license_evidence", JSONB, nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=True),
        sa.Column("upload_date", sa.String(length=10), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("video_id", sa.UUID(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_crawl_candidate_source_id_source"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["video.id"], name=op.f("fk_crawl_candidate_video_id_video"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_candidate")),
        sa.UniqueConstraint("key", name=op.f("uq_crawl_candidate_key")),
    )
    op.create_index("ix_crawl_candidate_due", "crawl_candidate", ["status", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_crawl_candidate_video_id"), "crawl_candidate", ["video_id"], unique=False)
    op.create_table(
        "crawl_sighting",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("crawl_run_id", sa.UUID(), nullable=False),
        sa.Column("candidate_id", sa.UUID(), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_run.id"],
            name=op.f("fk_crawl_sighting_crawl_run_id_crawl_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["crawl_candidate.id"],
            name=op.f("fk_crawl_sighting_candidate_id_crawl_candidate"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_sighting")),
    )
    op.create_index(op.f("ix_crawl_sighting_crawl_run_id"), "crawl_sighting", ["crawl_run_id"], unique=False)
    op.create_index(op.f("ix_crawl_sighting_candidate_id"), "crawl_sighting", ["candidate_id"], unique=False)
    op.create_table(
        "subtitle_track",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("video_id", sa.UUID(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("object_key", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("cue_count", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["video_id"], ["video.id"], name=op.f("fk_subtitle_track_video_id_video"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subtitle_track")),
    )
    op.create_index(op.f("ix_subtitle_track_video_id"), "subtitle_track", ["video_id"], unique=False)


def downgrade() -> None:
    for table in ("subtitle_track", "crawl_sighting", "crawl_candidate", "crawl_run", "source"):
        op.drop_table(table)
    for column in ("language", "upload_date", "license_evidence"):
        op.drop_column("video", column)
