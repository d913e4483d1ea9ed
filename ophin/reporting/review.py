"""The report's review results: people's verdicts with Wilson intervals and each check against them, computed
with ophin.review.stats. None (the page shows nothing) when there is no review_label table or no label yet.

The labelled set is what people could read (hundreds of instructions): its per-instruction rows are read,
the label table's size bounds them, never the instruction table's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ophin.db.models import Frame, Instruction, InstructionVerdict, Verification
from ophin.db.review_models import ReviewLabel
from ophin.db.verdicts import INSTRUCTION_STATUS, INSTRUCTION_VERDICT
from ophin.review.stats import Confusion, confusion, consensus, rates_by, verdict_rates

VERIFIER = "(verifier: rejected)"


@dataclass(frozen=True)
class ReviewSummary:
    labels: int
    instructions: int
    reviewers: int
    overall: dict[str, Any]  # stats.verdict_rates
    by_kind: dict[str, dict[str, Any]]
    by_modality: dict[str, dict[str, Any]]
    checks: list[tuple[str, Confusion]]  # each check as a detector of records people judged bad


def review_summary(session: Session) -> ReviewSummary | None:
    if session.scalar(select(func.to_regclass("review_label"))) is None:  # a database before migration 0013
        return None
    rows = session.execute(
        select(
            ReviewLabel.instruction_id,
            Instruction.kind,
            func.coalesce(Frame.modality, "unknown"),
            INSTRUCTION_STATUS,
            func.array_agg(ReviewLabel.verdict),
        )
        .join(Instruction, Instruction.id == ReviewLabel.instruction_id)
        .join(Frame, Frame.id == Instruction.frame_id)
        .outerjoin(InstructionVerdict, INSTRUCTION_VERDICT)
        .group_by(ReviewLabel.instruction_id, Instruction.kind, Frame.modality, INSTRUCTION_STATUS)
    ).all()
    if not rows:
        return None
    judged = [
        {"id": iid, "kind": kind, "modality": modality, "status": status, "verdict": consensus(verdicts)}
        for iid, kind, modality, status, verdicts in rows
    ]
    bad = {r["id"]: r["verdict"] == "bad" for r in judged}
    outcomes: dict[str, list[tuple[bool, bool]]] = {}
    labelled = select(ReviewLabel.instruction_id)
    for iid, check, passed in session.execute(
        select(Verification.instruction_id, Verification.check, Verification.passed).where(
            Verification.instruction_id.in_(labelled)
        )
    ):
        outcomes.setdefault(check, []).append((not passed, bad[iid]))
    checks = [(VERIFIER, confusion((r["status"] == "rejected", bad[r["id"]]) for r in judged))]
    checks += [(name, confusion(outcomes[name])) for name in sorted(outcomes)]
    return ReviewSummary(
        labels=sum(len(r[4]) for r in rows),
        instructions=len(judged),
        reviewers=session.scalar(select(func.count(func.distinct(ReviewLabel.reviewer)))) or 0,
        overall=verdict_rates([r["verdict"] for r in judged]),
        by_kind=rates_by(judged, "kind"),
        by_modality=rates_by(judged, "modality"),
        checks=checks,
    )
