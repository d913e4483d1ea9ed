"""crawl_run lease: a running crawl heartbeats lease_expires_at; the next crawl fails one whose lease expired

Before this, a crawl killed mid-run (SIGKILL, a lost host) left its crawl_run `running` forever.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("crawl_run", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("crawl_run", sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("crawl_run", "lease_expires_at")
    op.drop_column("crawl_run", "heartbeat_at")
