"""Stage 7, verify: per-instruction checks stored as verification rows; accept or reject with reasons."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select

from ophin.db.models import Instruction, Pair, Verification
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import verification_id
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, run_on_video
from ophin.stages.common import visual_cue_texts
from ophin.synthesis.base import Turn
from ophin.verification.checks import (
    CheckParams,
    CheckResult,
    check_instruction,
    check_reasoning,
    fingerprint,
)

STAGE = "verify"
VERSION = "2"  # 2: chain-of-thought reasoning check


@dataclass(frozen=True)
class VerifyParams:
    min_answer_chars: int = 20
    max_answer_chars: int = 1500
    min_grounding: float = 0.6

    def checks(self) -> CheckParams:
        return CheckParams(self.min_answer_chars, self.max_answer_chars, self.min_grounding)


def duplicate_check(session: Any, instruction: Instruction, fp: str) -> CheckResult:
    """Exact duplicate of another instruction anywhere: the one with the smallest id keeps the text."""
    twin = session.scalar(
        select(Instruction.id)
        .where(
            and_(
                Instruction.fingerprint == fp, Instruction.id < instruction.id, Instruction.status != "failed"
            )
        )
        .limit(1)
    )
    if twin is None:
        return CheckResult("not_duplicate", True, None, "no other instruction has the same text")
    return CheckResult("not_duplicate", False, None, f"exact duplicate of instruction {twin}")


def verify_instructions(
    vid: uuid.UUID, params: VerifyParams, *, svc: Services, force: bool = False
) -> StageResult:
    def work(attempt: Attempt) -> dict[str, Any]:
        accepted = rejected = 0
        with session_scope(svc.sessions) as session:
            items = session.scalars(
                select(Instruction)
                .join(Pair, Pair.id == Instruction.pair_id)
                .where(Pair.video_id == vid, Instruction.status != "failed")
                .order_by(Instruction.id)
            ).all()
            turns_of = {item.id: [Turn(t["role"], t["text"]) for t in item.turns or []] for item in items}
            # Fingerprints first, so the duplicate check sees every sibling of this batch.
            for item in items:
                item.fingerprint = fingerprint(turns_of[item.id])
            session.flush()
            for item in items:
                turns = turns_of[item.id]
                results = check_instruction(turns, visual_cue_texts(session, item.pair_id), params.checks())
                results.append(duplicate_check(session, item, item.fingerprint or ""))
                if item.kind == "cot":
                    results.append(check_reasoning(turns))
                upsert(
                    session,
                    Verification,
                    [
                        {
                            "id": verification_id(item.id, r.check),
                            "instruction_id": item.id,
                            "check": r.check,
                            "passed": r.passed,
                            "score": r.score,
                            "detail": r.detail,
                        }
                        for r in results
                    ],
                )
                failures = [f"{r.check}: {r.detail}" for r in results if not r.passed]
                item.status = "rejected" if failures else "accepted"
                item.reject_reasons = failures or None
                accepted += not failures
                rejected += bool(failures)
        return {"accepted": accepted, "rejected": rejected}

    return run_on_video(
        svc,
        vid,
        stage=STAGE,
        version=VERSION,
        params=params,
        work=work,
        upstream=("synthesize",),
        force=force,
    )
