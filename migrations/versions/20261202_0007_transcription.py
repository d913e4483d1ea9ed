"""transcription: clip boundaries, frame refinement and scores, ASR provenance and language

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSONB = postgresql.JSONB(astext_type=sa.Text())

# (table, column, type)
COLUMNS: tuple[tuple[str, str, sa.types.TypeEngine], ...] = (
    # why a clip starts where it does: start | cut (scene cut) | change (visual drift) | max (length cap)
    ("clip", "boundary", sa.String(length=16)),
    # how the frame's time was chosen: settle (after a cut) | sharpest (stable span) | median
    ("frame", "selection", sa.String(length=16)),
    ("frame", "crop_box", JSONB),  # [x, y, w, h] in source pixels, and what the refinement removed
    ("frame", "source_width", sa.Integer()),
    ("frame", "source_height", sa.Integer()),
    ("frame", "exposure", sa.Float()),  # mean luminance 0..1
    ("frame", "clipped_fraction", sa.Float()),  # share of pixels crushed black or blown white
    ("frame", "text_fraction", sa.Float()),
    ("frame", "modality", sa.String(length=32)),
    ("frame", "modality_scores", JSONB),
    ("frame", "scores", JSONB),  # every measured feature, for review
    ("transcript_segment", "backend", sa.String(length=32)),
    ("transcript_segment", "source", sa.String(length=16)),  # asr | subtitles
    ("transcript_segment", "language", sa.String(length=16)),
    ("transcript_segment", "asr_params", JSONB),
    ("video", "spoken_language", sa.String(length=16)),
    ("video", "spoken_language_p", sa.Float()),
)


def upgrade() -> None:
    for table, column, type_ in COLUMNS:
        op.add_column(table, sa.Column(column, type_, nullable=True))
    op.create_index(op.f("ix_frame_phash"), "frame", ["phash"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_frame_phash"), table_name="frame")
    for table, column, _ in reversed(COLUMNS):
        op.drop_column(table, column)
