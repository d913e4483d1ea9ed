"""lineage indexes: `ophin status` counts and failures from indexes, the lineage page's segment -> pairs

Measured by bench/lineage_scale.py at the paper's scale (536,000 instructions, 604,000 cues): the status
counts over instruction.status, visual_cue.is_visual, pair.status and frame.kept were parallel seq scans
of the wide rows; they become index-only scans of small btrees (a few MB each). The latest failures
(stage_run by started_at) and the pairs spoken in a segment (pair.segment_ids, GIN for @>) stop scanning.

The price: setting a status (cues on pairs, verify on instructions, once per row and run) now also writes
an index entry. Not indexed, for that reason: stage_run/stage_state (stage, status), whose rows change
status on every attempt; their group-by counts scan 36,000 rows in 5-10 ms, and with such an index the
planner took it on one database and kept the seq scan on another (about 4 ms saved at best).

Plain CREATE INDEX (Alembic runs in a transaction): at paper scale all of them build in about two seconds,
holding writes on these tables meanwhile.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 20:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# (name, table, columns)
BTREES: tuple[tuple[str, str, list[str]], ...] = (
    ("ix_instruction_status", "instruction", ["status"]),
    ("ix_visual_cue_is_visual", "visual_cue", ["is_visual"]),
    ("ix_pair_status", "pair", ["status"]),
    ("ix_frame_kept", "frame", ["kept"]),
    ("ix_stage_run_started_at", "stage_run", ["started_at"]),
)


def upgrade() -> None:
    for name, table, columns in BTREES:
        op.create_index(name, table, columns, unique=False)
    op.create_index("ix_pair_segment_ids", "pair", ["segment_ids"], unique=False, postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_pair_segment_ids", table_name="pair")
    for name, table, _ in reversed(BTREES):
        op.drop_index(name, table_name=table)
