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
    Pair,
    StageRun,
    TranscriptSegment,
    Verification,
    Video,
    VisualCue,
)


class UnknownId(LookupError):
    pass


def video_summary(v: Video) -> dict[str, Any]:
    """A video as lineage shows it: where it came from, its licence and content hash."""
    return {
        "id": str(v.id),
        "url": v.url,
        "title": v.title,
        "license": v.license,
        "sha256": v.sha256,
        "duration_s": v.duration_s,
    }


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
        out["clip"] = {
            "id": str(clip.id),
            "start_s": clip.start_s,
            "end_s": clip.end_s,
            "boundary": clip.boundary,
        }
    if frame:
        out["frame"] = {
            "id": str(frame.id),
            "t_s": frame.t_s,
            "object_key": frame.object_key,
            "kept": frame.kept,
            "drop_reason": frame.drop_reason,
            "selection": frame.selection,
            "crop_box": frame.crop_box,
            "modality": frame.modality,
        }
    if segment:
        out["segment"] = {
            "id": str(segment.id),
            "start_s": segment.start_s,
            "end_s": segment.end_s,
            "text": segment.text,
            "source": segment.source,
            "backend": segment.backend,
            "model": segment.model,
            "language": segment.language,
        }
    if pair:
        out["pair"] = {
            "id": str(pair.id),
            "start_s": pair.start_s,
            "end_s": pair.end_s,
            "text": pair.text,
            "status": pair.status,
            "drop_reason": pair.drop_reason,
        }
        out["cues"] = [
            {
                "text": c.text,
                "is_visual": c.is_visual,
                "score": c.score,
                "reason": c.reason,
                "scorer": c.scorer,
                "model": c.model,
                "prompt_version": c.prompt_version,
                "llm": call_summary(c.llm),
            }
            for c in session.scalars(
                select(VisualCue).where(VisualCue.pair_id == pair.id).order_by(VisualCue.sentence_index)
            )
        ]
    if instruction:
        out["instruction"] = {
            "id": str(instruction.id),
            "kind": instruction.kind,
            "status": instruction.status,
            "generator": instruction.generator,
            "model": instruction.model,
            "prompt_version": instruction.prompt_version,
            "llm": call_summary(instruction.llm),
            "error": instruction.error,
            "turns": instruction.turns,
            "reject_reasons": instruction.reject_reasons,
        }
        out["verifications"] = [
            {
                "check": v.check,
                "passed": v.passed,
                "detail": v.detail,
                "model": v.model,
                "prompt_version": v.prompt_version,
                "verdict": v.verdict,
                "llm": call_summary(v.llm),
            }
            for v in session.scalars(
                select(Verification).where(Verification.instruction_id == instruction.id)
            )
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
