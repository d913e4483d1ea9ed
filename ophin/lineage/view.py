"""The data behind the lineage pages: what a task instance produced, and any id's chain back and forward."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    InstructionVerdict,
    Pair,
    PairVerdict,
    QualityRun,
    StageRun,
    StageState,
    TranscriptSegment,
    Verification,
    Video,
    VisualCue,
)
from ophin.lineage.trace import call_summary, video_summary

LIMIT = 500  # rows per list on one page: a long lecture has hundreds of segments, never thousands of frames
_YOUTUBE = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtu.be"})
_VIMEO = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})
# Direct media: the browser's own player honours a W3C media fragment (#t=N); an HTML page does not.
_MEDIA = (".mp4", ".m4v", ".webm", ".ogv", ".ogg", ".mov", ".mkv", ".mp3", ".m4a", ".wav")


def video_link(url: str | None, seconds: float | None) -> dict[str, Any] | None:
    """An http(s) link that opens the video at `seconds` where its host supports it; None for local names.

    YouTube and Vimeo take whole seconds (floored: the link never starts after the moment); a direct media
    file takes a W3C media fragment to a tenth of a second (#t=14.7), which browsers honour at top level.
    """
    parts = urlsplit(url or "")
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None  # sample-corpus:/local-file: names and anything that is not a web URL
    t = max(0.0, float(seconds or 0.0))
    host = (parts.hostname or "").lower()
    if host in _YOUTUBE:
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("t", "start")]
        query.append(("t", f"{int(t)}s"))
        href = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
        return {"href": href, "at_s": float(int(t)), "timed": True}
    if host in _VIMEO:
        href = urlunsplit(parts._replace(fragment=f"t={int(t)}s"))
        return {"href": href, "at_s": float(int(t)), "timed": True}
    if parts.path.lower().endswith(_MEDIA):
        at = round(t, 1)
        return {"href": urlunsplit(parts._replace(fragment=f"t={at:g}")), "at_s": at, "timed": True}
    return {"href": urlunsplit(parts._replace(fragment="")), "at_s": t, "timed": False}


def video_dict(v: Video) -> dict[str, Any]:
    return {
        **video_summary(v),
        "channel": v.channel,
        "has_audio": v.has_audio,
        "width": v.width,
        "height": v.height,
        "link": video_link(v.url, 0),
    }


def segment_dict(s: TranscriptSegment, url: str | None) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "start_s": s.start_s,
        "end_s": s.end_s,
        "text": s.text,
        "source": s.source,
        "model": s.model,
        "link": video_link(url, s.start_s),
    }


def frame_dict(f: Frame, url: str | None) -> dict[str, Any]:
    return {
        "id": str(f.id),
        "clip_id": str(f.clip_id),
        "t_s": f.t_s,
        "kept": f.kept,
        "drop_reason": f.drop_reason,
        "clinical_score": f.clinical_score,
        "clinical_reason": f.clinical_reason,
        "modality": f.modality,
        "selection": f.selection,
        "crop_box": f.crop_box,
        "faces_blurred": f.faces_blurred,
        "text_redacted": f.text_redacted,
        "width": f.width,
        "height": f.height,
        "duplicate_of": str(f.duplicate_of) if f.duplicate_of else None,
        "link": video_link(url, f.t_s),
    }


def pair_dicts(session: Session, pairs: list[Pair]) -> list[dict[str, Any]]:
    """Pairs with the cue stage's verdict on each (one query): its status and reason where it has one."""
    ids = [p.id for p in pairs]
    verdicts = {
        v.pair_id: v for v in session.scalars(select(PairVerdict).where(PairVerdict.pair_id.in_(ids)))
    }
    return [pair_dict(p, verdicts.get(p.id)) for p in pairs]


def pair_dict(p: Pair, verdict: PairVerdict | None) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "frame_id": str(p.frame_id),
        "start_s": p.start_s,
        "end_s": p.end_s,
        "text": p.text,
        "status": verdict.status if verdict else p.status,
        "drop_reason": verdict.reason if verdict else p.drop_reason,
        "cue_score": verdict.cue_score if verdict else None,
        "n_cues": verdict.n_cues if verdict else None,
    }


def cue_dict(c: VisualCue) -> dict[str, Any]:
    return {
        "pair_id": str(c.pair_id),
        "sentence_index": c.sentence_index,
        "text": c.text,
        "raw_text": c.raw_text,
        "is_visual": c.is_visual,
        "score": c.score,
        "reason": c.reason,
        "model": c.model,
        "prompt_version": c.prompt_version,
        "llm": call_summary(c.llm),
    }


def instruction_dicts(session: Session, rows: list[Instruction]) -> list[dict[str, Any]]:
    """Instructions with verification's verdict and its checks (one row per check)."""
    verdicts: dict[uuid.UUID, list[dict[str, Any]]] = {r.id: [] for r in rows}
    decided = {
        v.instruction_id: v
        for v in session.scalars(
            select(InstructionVerdict).where(InstructionVerdict.instruction_id.in_(verdicts))
        )
    }
    if rows:
        for v in session.scalars(
            select(Verification)
            .where(Verification.instruction_id.in_(list(verdicts)))
            .order_by(Verification.check)
        ):
            verdicts[v.instruction_id].append(
                {
                    "check": v.check,
                    "passed": v.passed,
                    "score": v.score,
                    "detail": v.detail,
                    "model": v.model,
                    "verdict": v.verdict,
                    "llm": call_summary(v.llm),
                }
            )
    return [
        {
            "id": str(r.id),
            "pair_id": str(r.pair_id),
            "frame_id": str(r.frame_id),
            "kind": r.kind,
            "status": decided[r.id].status if r.id in decided else r.status,
            "generator": r.generator,
            "model": r.model,
            "prompt_version": r.prompt_version,
            "llm": call_summary(r.llm),
            "turns": r.turns or [],
            "error": r.error,
            "reject_reasons": (decided[r.id].reject_reasons if r.id in decided else None) or [],
            "verifications": verdicts[r.id],
        }
        for r in rows
    ]


def _rows(session: Session, stmt: Any) -> list[Any]:
    return list(session.scalars(stmt.limit(LIMIT)))


def instructions_where(session: Session, *conditions: Any) -> list[dict[str, Any]]:
    stmt = select(Instruction).where(*conditions).order_by(Instruction.frame_id, Instruction.kind)
    return instruction_dicts(session, _rows(session, stmt))


def produced(session: Session, stage: str, video: Video) -> dict[str, Any]:
    """What is stored now for (stage, video): the rows that stage writes."""
    vid, url = video.id, video.url
    if stage == "acquire":
        return {"video": video_dict(video)}
    if stage == "transcribe":
        stmt = select(TranscriptSegment).where(TranscriptSegment.video_id == vid)
        return {
            "segments": [segment_dict(s, url) for s in _rows(session, stmt.order_by(TranscriptSegment.index))]
        }
    if stage == "keyframes":
        clips = _rows(session, select(Clip).where(Clip.video_id == vid).order_by(Clip.index))
        frames = _rows(session, select(Frame).where(Frame.video_id == vid).order_by(Frame.t_s))
        return {
            "clips": [{"id": str(c.id), "start_s": c.start_s, "end_s": c.end_s} for c in clips],
            "frames": [frame_dict(f, url) for f in frames],
        }
    if stage == "pair":
        return {"pairs": pair_dicts(session, _rows(session, select(Pair).where(Pair.video_id == vid)))}
    if stage == "cues":
        stmt = select(VisualCue).join(Pair, Pair.id == VisualCue.pair_id).where(Pair.video_id == vid)
        return {
            "cues": [
                cue_dict(c) for c in _rows(session, stmt.order_by(Pair.start_s, VisualCue.sentence_index))
            ]
        }
    if stage in ("synthesize", "verify"):
        frames = select(Frame.id).where(Frame.video_id == vid)
        return {"instructions": instructions_where(session, Instruction.frame_id.in_(frames))}
    return {}


def _attempt(r: StageRun, current: set[uuid.UUID]) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "stage": r.stage,
        "entity_key": r.entity_key,
        "video_id": str(r.video_id) if r.video_id else None,
        "attempt": r.attempt,
        "try_number": r.try_number,
        "status": r.status,
        "error_class": r.error_class,
        "error_message": r.error_message,
        "output": r.output or {},
        "current": r.id in current,  # its output is what is stored now (not superseded by a later attempt)
        "started_at": r.started_at.isoformat() if r.started_at else None,
        "duration_s": r.duration_s,
    }


def task_instance_outputs(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int
) -> dict[str, Any]:
    """Every stage attempt this task instance recorded, its failures, and what each stage stored."""
    runs = list(
        session.scalars(
            select(StageRun)
            .where(
                StageRun.dag_id == dag_id,
                StageRun.run_id == run_id,
                StageRun.task_id == task_id,
                StageRun.map_index == map_index,
            )
            .order_by(StageRun.started_at, StageRun.attempt)
        )
    )
    current = set(
        session.scalars(
            select(StageState.stage_run_id).where(StageState.stage_run_id.in_([r.id for r in runs]))
        )
    )
    attempts = [_attempt(r, current) for r in runs]
    outputs = []
    for stage, vid in dict.fromkeys((r.stage, r.video_id) for r in runs if r.video_id):
        video = session.get(Video, vid)
        if video is not None:
            outputs.append({"stage": stage, "video_id": str(vid), **produced(session, stage, video)})
    gates = session.scalars(
        select(QualityRun)
        .where(QualityRun.dag_id == dag_id, QualityRun.run_id == run_id, QualityRun.task_id == task_id)
        .order_by(QualityRun.checked_at)
    )
    return {
        "task_instance": {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index},
        "gates": [
            {
                "stage": g.stage,
                "success": g.success,
                "batch": g.batch_key,
                "videos": [str(v) for v in g.video_ids or ()],
                "summary": g.summary,
                "checked_at": g.checked_at,
            }
            for g in gates
        ],
        "attempts": attempts,
        "failures": [a for a in attempts if a["status"] in ("failed", "partial")],
        "produced": outputs,
    }
