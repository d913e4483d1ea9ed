"""release: several formats per release, stored under the object store's release prefix, local copy optional

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 19:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("release", "format", type_=sa.Text(), existing_type=sa.String(16))
    op.add_column("release", sa.Column("local_path", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("release", "local_path")
    op.alter_column("release", "format", type_=sa.String(16), existing_type=sa.Text())
