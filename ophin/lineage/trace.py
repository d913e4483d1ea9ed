"""Walk any id (instruction, pair, frame, clip, segment, video) back to its video URL and seconds."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    InstructionVerdict,
    Pair,
    PairVerdict,
    StageRun,
    TranscriptSegment,
    Verification,
    Video,
    VisualCue,
)


class UnknownId(LookupError):
    pass


_CUE = ("text", "is_visual", "score", "reason", "scorer", "model", "prompt_version")
_INSTRUCTION = ("kind", "status", "generator", "model", "prompt_version", "error", "turns")
_VERIFICATION = ("check", "passed", "detail", "model", "prompt_version", "verdict")


def row(obj: Any, *columns: str, **more: Any) -> dict[str, Any]:
    """A row as lineage shows it: its id, these columns by name, then `more`."""
    return {"id": str(obj.id)} | {c: getattr(obj, c) for c in columns} | more


def video_summary(v: Video) -> dict[str, Any]:
    """A video as lineage shows it: where it came from, its licence and content hash."""
    return row(v, "url", "title", "license", "sha256", "duration_s")


def lineage(session: Session, raw_id: str) -> dict[str, Any]:
    try:
        oid = uuid.UUID(raw_id)
    except ValueError as exc:
        raise UnknownId(f"not a uuid: {raw_id!r}") from exc
    out: dict[str, Any] = {"id": str(oid)}
    instruction = session.get(Instruction, oid)
    pair = session.get(Pair, instruction.pair_id) if instruction else session.get(Pair, oid)
    frame = session.get(Frame, pair.frame_id) if pair else session.get(Frame, oid)
    clip = session.get(Clip, frame.clip_id) if frame else session.get(Clip, oid)
    segment = session.get(TranscriptSegment, oid)
    video_id = next((x.video_id for x in (pair, frame, clip, segment) if x is not None), oid)
    video = session.get(Video, video_id)
    if video is None:
        raise UnknownId(f"no instruction, pair, frame, clip, segment or video has id {raw_id}")
    out["kind"] = next(
        k
        for k, x in (
            ("instruction", instruction),
            ("pair", pair),
            ("frame", frame),
            ("clip", clip),
            ("segment", segment),
            ("video", video),
        )
        if x is not None
    )
    out["video"] = video_summary(video)
    if clip:
        out["clip"] = row(clip, "start_s", "end_s", "boundary")
    if frame:
        out["frame"] = row(
            frame, "t_s", "object_key", "kept", "drop_reason", "selection", "crop_box", "modality"
        )
    if segment:
        out["segment"] = row(segment, "start_s", "end_s", "text", "source", "backend", "model", "language")
    if pair:
        out["pair"] = row(pair, "start_s", "end_s", "text", "status", "drop_reason")
        if (judged := session.get(PairVerdict, pair.id)) is not None:  # the cue stage's verdict
            out["pair"] |= {"status": judged.status, "drop_reason": judged.reason}
        cues = select(VisualCue).where(VisualCue.pair_id == pair.id).order_by(VisualCue.sentence_index)
        out["cues"] = [
            {c: getattr(cue, c) for c in _CUE} | {"llm": call_summary(cue.llm)}
            for cue in session.scalars(cues)
        ]
    if instruction:
        verdict = session.get(InstructionVerdict, instruction.id)
        out["instruction"] = row(
            instruction,
            *_INSTRUCTION,
            reject_reasons=verdict.reject_reasons if verdict else None,
            llm=call_summary(instruction.llm),
        )
        if verdict is not None:  # verification's
            out["instruction"]["status"] = verdict.status
        checks = select(Verification).where(Verification.instruction_id == instruction.id)
        out["verifications"] = [
            {c: getattr(v, c) for c in _VERIFICATION} | {"llm": call_summary(v.llm)}
            for v in session.scalars(checks)
        ]
    out["stage_runs"] = [
        {
            "stage": r.stage,
            "attempt": r.attempt,
            "status": r.status,
            "error": r.error_message,
            "started_at": r.started_at.isoformat(),
        }
        for r in session.scalars(
            select(StageRun).where(StageRun.video_id == video.id).order_by(StageRun.started_at)
        )
    ]
    return out


def call_summary(call: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a reviewer asks of a model call: who answered, at what cost, and what failed (no cache key)."""
    if not call:
        return None
    keep = (
        "served_model",
        "sampling",
        "prompt_tokens",
        "completion_tokens",
        "latency_s",
        "cached",
        "attempts",
    )
    return {k: call.get(k) for k in keep} | {"failures": call.get("failures") or []}
