"""The finding-coverage rows of the verify gate: per kept image, the narrated findings no accepted record of
it carries (the image's visual-cue sentences against its accepted records' answers)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ophin.db.models import Instruction, InstructionVerdict, Pair, PairVerdict, VisualCue
from ophin.db.verdicts import INSTRUCTION_VERDICT
from ophin.verification.coverage import findings_in, lost_findings, record_findings


def coverage_rows(session: Session, videos: list[uuid.UUID]) -> list[dict[str, Any]]:
    """One row per image with a kept pair in these videos: {"frame_id", "lost"}; lost is "" when every
    narrated finding reaches an accepted record, else "<frame id>: lost a, b" (the gate's stated reason)."""
    kept = select(PairVerdict.pair_id).where(PairVerdict.video_id.in_(videos), PairVerdict.status == "kept")
    cues: dict[uuid.UUID, list[str]] = defaultdict(list)
    for frame_id, text in session.execute(
        select(Pair.frame_id, VisualCue.text)
        .join(VisualCue, VisualCue.pair_id == Pair.id)
        .where(Pair.id.in_(kept), VisualCue.is_visual)
        .order_by(Pair.frame_id, Pair.start_s, VisualCue.sentence_index)
    ):
        cues[frame_id].append(text)
    carried: dict[uuid.UUID, list[set[str]]] = defaultdict(list)
    for frame_id, turns in session.execute(
        select(Instruction.frame_id, Instruction.turns)
        .join(InstructionVerdict, INSTRUCTION_VERDICT)
        .where(Instruction.pair_id.in_(kept), InstructionVerdict.status == "accepted")
    ):
        carried[frame_id].append(record_findings(turns or []))
    rows = []
    for frame_id in sorted(set(cues) | set(carried), key=str):
        lost = lost_findings(findings_in(cues[frame_id]), carried[frame_id])
        rows.append(
            {"frame_id": str(frame_id), "lost": f"{frame_id}: lost {', '.join(lost)}" if lost else ""}
        )
    return rows
