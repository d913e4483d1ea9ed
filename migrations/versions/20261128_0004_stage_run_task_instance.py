"""stage_run records the Airflow task instance that ran it

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (
    ("dag_id", sa.Text()),
    ("task_id", sa.Text()),
    ("map_index", sa.Integer()),
    ("try_number", sa.Integer()),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("stage_run", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column("stage_run", name)
