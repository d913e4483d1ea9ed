"""Stage 7, verify: per-instruction checks stored as verification rows; accept or reject with reasons."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select

from ophin.adapters.vision import hash_distance
from ophin.db.models import Frame, Instruction, Pair, Verification
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import verification_id
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, run_on_video
from ophin.stages.common import visual_cue_texts
from ophin.synthesis.base import PairContext, Turn
from ophin.synthesis.offline import ANSWER_FRAMES, knowledge_for
from ophin.verification.checks import (
    CheckParams,
    CheckResult,
    check_instruction,
    check_reasoning,
    distinct_from_siblings,
    fingerprint,
    near_duplicate_key,
)

STAGE = "verify"
UPSTREAM = ("synthesize",)  # the stages whose rows this one reads
VERSION = "4"  # 3: polarity/number grounding, vocabulary, PHI, injection, distinct, near-dups; 4: "OCTs"
# The fixed words answers are framed in ("Abnormal:", "in keeping with"): structure, not claims to ground.
FRAME_TEXT = " ".join(re.sub(r"\{\w*\}", " ", frame) for frame in ANSWER_FRAMES)


@dataclass(frozen=True)
class VerifyParams:
    min_answer_chars: int = 20
    max_answer_chars: int = 1500
    min_grounding: float = 0.6
    max_sibling_similarity: float = 0.8  # an answer that mostly repeats another kind of the same image
    near_duplicate_phash: int = 6  # images this close (pHash bits) with the same normalised answer are one

    def checks(self) -> CheckParams:
        return CheckParams(self.min_answer_chars, self.max_answer_chars, self.min_grounding)


def _answers(turns: list[Turn]) -> str:
    return " ".join(t.text for t in turns if t.role == "gpt")


def duplicate_check(
    session: Any, item: Instruction, vid: uuid.UUID, phash: str, max_distance: int
) -> CheckResult:
    """Exact text twin anywhere, or the same normalised answer on a near-identical image (the same
    photograph in two videos, one file under several URLs). The first one stays: within a video the
    smallest id, across videos the one already accepted."""
    first = or_(
        and_(Pair.video_id == vid, Instruction.id < item.id, Instruction.status != "failed"),
        and_(Pair.video_id != vid, Instruction.status == "accepted"),
    )
    twins = session.execute(
        select(Instruction.id, Instruction.fingerprint, Frame.phash)
        .join(Pair, Pair.id == Instruction.pair_id)
        .join(Frame, Frame.id == Instruction.frame_id)
        .where(
            Instruction.id != item.id,
            or_(Instruction.fingerprint == item.fingerprint, Instruction.near_key == item.near_key),
            first,
        )
        .order_by(Instruction.id)
    ).all()
    for twin_id, twin_fp, twin_phash in twins:
        if twin_fp == item.fingerprint:
            return CheckResult("not_duplicate", False, None, f"exact duplicate of instruction {twin_id}")
        distance = hash_distance(phash, twin_phash)
        if distance <= max_distance:
            detail = f"near-duplicate of instruction {twin_id} (same answer, image pHash distance {distance})"
            return CheckResult("not_duplicate", False, None, detail)
    return CheckResult("not_duplicate", True, None, "no other instruction says the same about this image")


def verify_instructions(
    vid: uuid.UUID, params: VerifyParams, *, svc: Services, force: bool = False
) -> StageResult:
    def work(attempt: Attempt) -> dict[str, Any]:
        accepted = rejected = 0
        with session_scope(svc.sessions) as session:
            rows = session.execute(
                select(Instruction, Frame.phash)
                .join(Pair, Pair.id == Instruction.pair_id)
                .join(Frame, Frame.id == Instruction.frame_id)
                .where(Pair.video_id == vid, Instruction.status != "failed")
                .order_by(Instruction.id)
            ).all()
            turns_of = {i.id: [Turn(t["role"], t["text"]) for t in i.turns or []] for i, _ in rows}
            answers_by_pair: dict[uuid.UUID, dict[uuid.UUID, str]] = defaultdict(dict)
            # Keys first, so the duplicate check sees every sibling of this batch.
            for item, _ in rows:
                item.fingerprint = fingerprint(turns_of[item.id])
                item.near_key = near_duplicate_key(turns_of[item.id])
                answers_by_pair[item.pair_id][item.id] = _answers(turns_of[item.id])
            session.flush()
            cues_of: dict[uuid.UUID, tuple[list[str], tuple[str, ...]]] = {}
            for item, phash in rows:
                if item.pair_id not in cues_of:
                    cues = visual_cue_texts(session, item.pair_id)
                    context = PairContext(str(item.pair_id), tuple(cues), "")
                    cues_of[item.pair_id] = (cues, (*knowledge_for(context), FRAME_TEXT))
                cues, knowledge = cues_of[item.pair_id]
                turns = turns_of[item.id]
                results = check_instruction(turns, cues, params.checks(), knowledge=knowledge)
                siblings = [a for i, a in answers_by_pair[item.pair_id].items() if i != item.id]
                results.append(
                    distinct_from_siblings(_answers(turns), siblings, params.max_sibling_similarity)
                )
                results.append(duplicate_check(session, item, vid, phash, params.near_duplicate_phash))
                if item.kind == "cot":
                    results.append(check_reasoning(turns, params.max_sibling_similarity))
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
        upstream=UPSTREAM,
        force=force,
    )
