"""Stage 7, verify: per-instruction checks stored as verification rows; accept or reject with reasons."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

import openai
from sqlalchemy import delete, func, or_, select

from ophin.adapters.vision import hash_distance
from ophin.db.models import Frame, Instruction, InstructionVerdict, Pair, Verification, VisualCue
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import verification_id
from ophin.llm.pool import Outcome, map_concurrent
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, Task, VideoStage, from_sections
from ophin.stages.common import InputMissing, read_frame, visual_cue_texts_of
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
from ophin.verification.judge import CHECK as JUDGE_CHECK
from ophin.verification.judge import JudgeInput, JudgeResult
from ophin.verification.record_checks import RecordContext, check_record

STAGE = "verify"
UPSTREAM = ("synthesize",)  # the stages whose rows this one reads
# 3: polarity/number grounding, vocabulary, PHI, injection, distinct, near-dups; 4: "OCTs"; 5: judge;
# 6: modality, invented diagnosis, question focus, narration artefacts, CoT step copies, conversation depth
# 7: one negation module: "no change in the drusen" no longer denies the drusen in a claim's polarity
VERSION = "7"
# A judge that could not answer leaves one instruction unverified (the attempt is partial); else a bug.
ITEM_ERRORS: tuple[type[BaseException], ...] = (ValueError, openai.OpenAIError, InputMissing)
# The fixed words answers are framed in ("Abnormal:", "in keeping with"): structure, not claims to ground.
FRAME_TEXT = " ".join(re.sub(r"\{\w*\}", " ", frame) for frame in ANSWER_FRAMES)


@dataclass(frozen=True)
class VerifyParams:
    min_answer_chars: int = 20
    max_answer_chars: int = 1500
    min_grounding: float = 0.6
    max_sibling_similarity: float = 0.8  # an answer that mostly repeats another kind of the same image
    near_duplicate_phash: int = 6  # images this close (pHash bits) with the same normalised answer are one
    judge: dict[str, Any] = field(default_factory=dict)  # the LLM judge's config(); empty without one
    # synthesis.derived_diagnoses: "narrated" refuses any diagnosis the narration does not name, hedged or not
    derived_diagnoses: str = "narrated"

    def checks(self) -> CheckParams:
        return CheckParams(self.min_answer_chars, self.max_answer_chars, self.min_grounding)


def _answers(turns: list[Turn]) -> str:
    return " ".join(t.text for t in turns if t.role == "gpt")


def narration_of(session: Any, pairs: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, ...]]:
    """What was said while each pair's image was on screen: its window's text, then every sentence the cue
    stage read (refined where the refiner corrected a word), so a corrected term counts as said."""
    out: dict[uuid.UUID, list[str]] = defaultdict(list)
    if not pairs:
        return {}
    for pid, text in session.execute(select(Pair.id, Pair.text).where(Pair.id.in_(pairs))):
        out[pid].append(text or "")
    rows = session.execute(
        select(VisualCue.pair_id, VisualCue.text)
        .where(VisualCue.pair_id.in_(pairs))
        .order_by(VisualCue.pair_id, VisualCue.sentence_index)
    )
    for pid, text in rows:
        out[pid].append(text)
    return {pid: tuple(texts) for pid, texts in out.items()}


@dataclass(frozen=True)
class Twin:
    """An instruction that may say the same as one being verified: what the duplicate check compares."""

    id: uuid.UUID
    video_id: uuid.UUID
    fingerprint: str
    near_key: str
    phash: str | None


def twin_candidates(session: Any, batch: list[Twin]) -> list[Twin]:
    """What a video's batch is compared with: the batch itself and, in one query, other videos' accepted
    instructions that share a fingerprint or normalised answer with one of it, by id."""
    if not batch:
        return []
    vid = batch[0].video_id
    rows = session.execute(
        select(
            InstructionVerdict.instruction_id,
            Pair.video_id,
            InstructionVerdict.fingerprint,
            InstructionVerdict.near_key,
            Frame.phash,
        )
        .join(Instruction, Instruction.id == InstructionVerdict.instruction_id)
        .join(Pair, Pair.id == Instruction.pair_id)
        .join(Frame, Frame.id == Instruction.frame_id)
        .where(
            or_(
                InstructionVerdict.fingerprint.in_({t.fingerprint for t in batch}),
                InstructionVerdict.near_key.in_({t.near_key for t in batch}),
            ),
            InstructionVerdict.status == "accepted",
            Pair.video_id != vid,
        )
    ).all()
    return sorted([*batch, *(Twin(*row) for row in rows)], key=lambda t: t.id)


def duplicate_check(item: Twin, max_distance: int, candidates: list[Twin]) -> CheckResult:
    """Exact text twin anywhere, or the same normalised answer on a near-identical image (the same
    photograph in two videos, one file under several URLs). The first one stays: within a video the
    smallest id, across videos the one already accepted (candidates: twin_candidates of the batch)."""
    for twin in candidates:
        if twin.id == item.id or (twin.video_id == item.video_id and twin.id > item.id):
            continue
        if twin.fingerprint == item.fingerprint:
            return CheckResult("not_duplicate", False, None, f"exact duplicate of instruction {twin.id}")
        if twin.near_key != item.near_key:
            continue
        distance = hash_distance(item.phash, twin.phash)
        if distance <= max_distance:
            detail = f"near-duplicate of instruction {twin.id} (same answer, image pHash distance {distance})"
            return CheckResult("not_duplicate", False, None, detail)
    return CheckResult("not_duplicate", True, None, "no other instruction says the same about this image")


def _judge_row(item_id: uuid.UUID, outcome: Outcome[JudgeResult], model: str) -> dict[str, Any]:
    row = {"id": verification_id(item_id, JUDGE_CHECK), "instruction_id": item_id, "check": JUDGE_CHECK}
    if outcome.error is not None:
        call = getattr(outcome.error, "call", None)  # the raw replies that never validated
        return row | {
            "passed": False,
            "score": None,
            "detail": f"no verdict: {type(outcome.error).__name__}: {outcome.error}"[:2000],
            "model": model,
            "prompt_version": None,
            "verdict": None,
            "llm": call.as_json() if call is not None else None,
        }
    result = outcome.value
    assert result is not None  # noqa: S101 - type narrowing: a failed outcome returned above
    return row | {
        "passed": result.passed,
        "score": result.score,
        "detail": result.reason,
        "model": model,
        "prompt_version": result.prompt_version,
        "verdict": result.verdict,
        "llm": result.llm.as_json() if result.llm is not None else None,
    }


def judge_accepted(svc: Services, vid: uuid.UUID, ids: list[uuid.UUID]) -> int:
    """Ask the judge about the instructions the rule checks accepted (concurrently, outside any
    transaction); a failed verdict rejects, a missing one leaves the instruction unverified. Returns how
    many got no verdict."""
    judge = svc.judge
    assert judge is not None  # noqa: S101 - type narrowing: called only when a judge is configured
    vision = svc.llm is not None and svc.llm.vision
    with session_scope(svc.sessions) as session:
        items = session.execute(
            select(Instruction, Frame.object_key, Frame.sha256)
            .join(Frame, Frame.id == Instruction.frame_id)
            .where(Instruction.id.in_(ids))
            .order_by(Instruction.id)
        ).all()
        cue_texts = visual_cue_texts_of(session, {item.pair_id for item, *_ in items})
        inputs = [
            JudgeInput(
                instruction_id=str(item.id),
                kind=item.kind,
                turns=tuple(Turn(t["role"], t["text"]) for t in item.turns or []),
                cues=tuple(cue_texts.get(item.pair_id, [])),
            )
            for item, _, _ in items
        ]
    frames = {str(item.id): (key, sha) for item, key, sha in items}

    def ask(inp: JudgeInput) -> JudgeResult:
        # Read here, per item: a frame that is not the stored bytes fails its own verdict (InputMissing).
        return judge.judge(
            replace(inp, image=read_frame(svc.store, *frames[inp.instruction_id])) if vision else inp
        )

    outcomes = map_concurrent(ask, inputs, svc.llm.max_in_flight if svc.llm else 1)
    missing = 0
    with session_scope(svc.sessions) as session:
        for (item, *_), outcome in zip(items, outcomes, strict=True):
            if outcome.error is not None and not isinstance(outcome.error, ITEM_ERRORS):
                raise outcome.error
            row = _judge_row(item.id, outcome, judge.model)
            upsert(session, Verification, [row])
            if outcome.error is not None:  # no verdict: unverified, retried by a backfill
                session.execute(
                    delete(InstructionVerdict).where(InstructionVerdict.instruction_id == item.id)
                )
                missing += 1
            elif not row["passed"]:
                verdict = session.get_one(InstructionVerdict, item.id)
                verdict.status, verdict.reject_reasons = "rejected", [f"{JUDGE_CHECK}: {row['detail']}"]
    return missing


def verify_instructions(
    vid: uuid.UUID, params: VerifyParams, *, svc: Services, force: bool = False
) -> StageResult:
    def work(attempt: Attempt) -> dict[str, Any]:
        accepted = rejected = 0
        with session_scope(svc.sessions) as session:
            rows = session.execute(
                select(Instruction, Frame.phash, Frame.modality)
                .join(Pair, Pair.id == Instruction.pair_id)
                .join(Frame, Frame.id == Instruction.frame_id)
                .where(Pair.video_id == vid, Instruction.status != "failed")
                .order_by(Instruction.id)
            ).all()
            modality_of = {item.id: modality for item, _, modality in rows}
            rows = [(item, phash) for item, phash, _ in rows]
            turns_of = {i.id: [Turn(t["role"], t["text"]) for t in i.turns or []] for i, _ in rows}
            answers_by_pair: dict[uuid.UUID, dict[uuid.UUID, str]] = defaultdict(dict)
            # The other kinds of the same image (every pair of its frame): what a CoT step may not copy.
            answers_by_frame: dict[uuid.UUID, dict[uuid.UUID, tuple[str, str]]] = defaultdict(dict)
            # Keys first, so the duplicate check sees every sibling of this batch.
            keys = {
                item.id: Twin(
                    item.id, vid, fingerprint(turns_of[item.id]), near_duplicate_key(turns_of[item.id]), phash
                )
                for item, phash in rows
            }
            for item, _ in rows:
                answers_by_pair[item.pair_id][item.id] = _answers(turns_of[item.id])
                answers_by_frame[item.frame_id][item.id] = (item.kind, _answers(turns_of[item.id]))
            narration = narration_of(session, {item.pair_id for item, _ in rows})
            # One query each for the batch's cues and possible twins, one upsert of every verdict.
            twins = twin_candidates(session, list(keys.values()))
            cues_of: dict[uuid.UUID, tuple[list[str], tuple[str, ...]]] = {}
            cue_texts = visual_cue_texts_of(session, {item.pair_id for item, _ in rows})
            verdicts: list[dict[str, Any]] = []
            decisions: dict[uuid.UUID, dict[str, Any]] = {}
            for item, _ in rows:
                if item.pair_id not in cues_of:
                    cues = cue_texts.get(item.pair_id, [])
                    context = PairContext(str(item.pair_id), tuple(cues), "")
                    cues_of[item.pair_id] = (cues, (*knowledge_for(context), FRAME_TEXT))
                cues, knowledge = cues_of[item.pair_id]
                turns = turns_of[item.id]
                results = check_instruction(turns, cues, params.checks(), knowledge=knowledge)
                siblings = [a for i, a in answers_by_pair[item.pair_id].items() if i != item.id]
                results.append(
                    distinct_from_siblings(_answers(turns), siblings, params.max_sibling_similarity)
                )
                results.append(duplicate_check(keys[item.id], params.near_duplicate_phash, twins))
                if item.kind == "cot":
                    results.append(check_reasoning(turns, params.max_sibling_similarity))
                context = RecordContext(
                    kind=item.kind,
                    modality=modality_of[item.id],
                    narration=narration.get(item.pair_id, ()),
                    siblings=tuple(a for i, a in answers_by_frame[item.frame_id].items() if i != item.id),
                    derived_diagnoses=params.derived_diagnoses,
                )
                results += check_record(turns, context)
                verdicts += [
                    {
                        "id": verification_id(item.id, r.check),
                        "instruction_id": item.id,
                        "check": r.check,
                        "passed": r.passed,
                        "score": r.score,
                        "detail": r.detail,
                    }
                    for r in results
                ]
                failures = [f"{r.check}: {r.detail}" for r in results if not r.passed]
                decisions[item.id] = {
                    "instruction_id": item.id,
                    "status": "rejected" if failures else "accepted",
                    "reject_reasons": failures or None,
                    "fingerprint": keys[item.id].fingerprint,
                    "near_key": keys[item.id].near_key,
                }
                accepted += not failures
                rejected += bool(failures)
            if verdicts:
                upsert(session, Verification, verdicts)
            upsert(session, InstructionVerdict, decisions.values(), key=("instruction_id",))
            # An instruction not verified now (it failed since) keeps no verdict of an earlier run.
            of_video = (
                select(Instruction.id).join(Pair, Pair.id == Instruction.pair_id).where(Pair.video_id == vid)
            )
            delete_stale(
                session,
                InstructionVerdict,
                InstructionVerdict.instruction_id.in_(of_video),
                decisions,
                key="instruction_id",
            )
            judged = [i for i, d in decisions.items() if d["status"] == "accepted"] if svc.judge else []
            unjudged = [item.id for item, _ in rows if item.id not in set(judged)]
            # A verdict from an earlier run no longer stands for what the judge is not asked about now.
            session.execute(
                delete(Verification).where(
                    Verification.instruction_id.in_(unjudged), Verification.check == JUDGE_CHECK
                )
            )
        if svc.judge is None or not judged:
            return {"accepted": accepted, "rejected": rejected}
        missing = judge_accepted(svc, vid, judged)
        with session_scope(svc.sessions) as session:
            counts = dict(
                session.execute(
                    select(InstructionVerdict.status, func.count())
                    .where(InstructionVerdict.instruction_id.in_(judged))
                    .group_by(InstructionVerdict.status)
                ).all()
            )
        judge_rejected = counts.get("rejected", 0)
        return {
            "accepted": accepted - judge_rejected - missing,
            "rejected": rejected + judge_rejected,
            "judge_rejected": judge_rejected,
            "failed": missing,
        }

    return SPEC.run(svc, vid, params, work, force=force)


def params_from(svc: Services) -> VerifyParams:
    judge = svc.judge.config() if svc.judge is not None else {}
    derived = svc.settings.synthesis.derived_diagnoses
    return from_sections(VerifyParams, svc.settings.verify, judge=judge, derived_diagnoses=derived)


# Not isolated: a near-duplicate is judged against instructions other videos already had accepted, in order.
SPEC = VideoStage(
    name=STAGE, version=VERSION, upstream=UPSTREAM, function=verify_instructions, params=params_from,
    reads=("instruction", "pair", "visual_cue", "frame"), writes=("verification", "instruction_verdict"),
    task=Task("verify_instructions", gate="gate_verification", pool="llm"), isolated=False,
)  # fmt: skip
