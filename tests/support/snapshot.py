"""Every id of every lineage table, to compare two runs exactly (same inputs, same rows)."""

from __future__ import annotations

from sqlalchemy import select

from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    InstructionVerdict,
    Pair,
    PairVerdict,
    QualityRun,
    StageRun,
    TranscriptSegment,
    Verification,
    Video,
    VisualCue,
)
from ophin.db.session import session_scope
from ophin.services import Services
from tests.support.verdicts import instruction_statuses

TABLES = (
    Video, Clip, Frame, TranscriptSegment, Pair, VisualCue, Instruction, Verification, StageRun, QualityRun
)  # fmt: skip


def snapshot(svc: Services) -> dict[str, list[str]]:
    """Every id of every lineage table (and each stage_run's and instruction's status)."""
    with session_scope(svc.sessions) as session:
        out = {m.__tablename__: sorted(str(i) for i in session.scalars(select(m.id))) for m in TABLES}
        out["stage_run_status"] = sorted(f"{r.id}:{r.status}" for r in session.scalars(select(StageRun)))
        out["instruction_status"] = sorted(f"{i}:{s}" for i, s in instruction_statuses(session).items())
        out["pair_verdict"] = sorted(str(i) for i in session.scalars(select(PairVerdict.pair_id)))
        out["instruction_verdict"] = sorted(
            str(i) for i in session.scalars(select(InstructionVerdict.instruction_id))
        )
    return out
