"""Every id of every lineage table, to compare two runs exactly (same inputs, same rows)."""

from __future__ import annotations

from sqlalchemy import select

from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    Pair,
    QualityRun,
    StageRun,
    TranscriptSegment,
    Verification,
    Video,
    VisualCue,
)
from ophin.db.session import session_scope
from ophin.services import Services

TABLES = (
    Video, Clip, Frame, TranscriptSegment, Pair, VisualCue, Instruction, Verification, StageRun, QualityRun
)  # fmt: skip


def snapshot(svc: Services) -> dict[str, list[str]]:
    """Every id of every lineage table (and each stage_run's and instruction's status)."""
    with session_scope(svc.sessions) as session:
        out = {m.__tablename__: sorted(str(i) for i in session.scalars(select(m.id))) for m in TABLES}
        out["stage_run_status"] = sorted(f"{r.id}:{r.status}" for r in session.scalars(select(StageRun)))
        out["instruction_status"] = sorted(f"{i.id}:{i.status}" for i in session.scalars(select(Instruction)))
    return out
