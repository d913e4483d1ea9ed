"""object checksums: the sha256 of every frame image and info.json, recorded when written, checked when read

Media already had video.sha256 and caption tracks subtitle_track.sha256; releases carry theirs in the
manifest (the release id is derived from it). Rows written before this revision have NULL: the keyframes
stage re-makes such frames on its next run, and export refuses a frame without a recorded hash.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("frame", sa.Column("sha256", sa.String(64), nullable=True))
    op.add_column("video", sa.Column("info_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("video", "info_sha256")
    op.drop_column("frame", "sha256")
