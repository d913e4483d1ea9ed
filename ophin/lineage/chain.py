"""Any id's chain: back to the video URL at that second, forward to everything made from it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ophin.db.models import Clip, Frame, Instruction, Pair, StageRun, TranscriptSegment, Video
from ophin.lineage.trace import lineage
from ophin.lineage.view import (
    LIMIT,
    frame_dict,
    instruction_dicts,
    instructions_where,
    pair_dicts,
    segment_dict,
    video_dict,
    video_link,
)


def _at_s(back: dict[str, Any]) -> float | None:
    """The second of the video an id stands for: the frame shown, else the clip or segment start."""
    for part, key in (("frame", "t_s"), ("clip", "start_s"), ("segment", "start_s")):
        if part in back:
            return back[part][key]
    return None


def forward(session: Session, kind: str, oid: uuid.UUID, url: str | None) -> dict[str, Any]:
    """What was made from this id, one list per table (each capped at LIMIT rows)."""
    out: dict[str, Any] = {}
    frames: list[Frame] = []
    pairs: list[Pair] = []
    if kind == "video":
        clips = session.scalars(select(Clip).where(Clip.video_id == oid).order_by(Clip.index).limit(LIMIT))
        out["clips"] = [{"id": str(c.id), "start_s": c.start_s, "end_s": c.end_s} for c in clips]
        segments = session.scalars(
            select(TranscriptSegment)
            .where(TranscriptSegment.video_id == oid)
            .order_by(TranscriptSegment.index)
            .limit(LIMIT)
        )
        out["segments"] = [segment_dict(s, url) for s in segments]
        frames = list(
            session.scalars(select(Frame).where(Frame.video_id == oid).order_by(Frame.t_s).limit(LIMIT))
        )
    elif kind == "clip":
        frames = list(session.scalars(select(Frame).where(Frame.clip_id == oid).order_by(Frame.t_s)))
    if kind in ("video", "clip"):
        out["frames"] = [frame_dict(f, url) for f in frames]
        frame_ids = [f.id for f in frames]
        pairs = list(session.scalars(select(Pair).where(Pair.frame_id.in_(frame_ids)).limit(LIMIT)))
        out["instructions"] = instructions_where(session, Instruction.frame_id.in_(frame_ids))
    elif kind == "frame":
        pairs = list(session.scalars(select(Pair).where(Pair.frame_id == oid)))
        out["instructions"] = instructions_where(session, Instruction.frame_id == oid)
    elif kind == "segment":
        # @> rather than = ANY: the GIN index on segment_ids serves only the containment operator.
        pairs = list(session.scalars(select(Pair).where(Pair.segment_ids.contains([oid])).limit(LIMIT)))
        out["instructions"] = instructions_where(session, Instruction.pair_id.in_([p.id for p in pairs]))
    elif kind == "pair":
        out["instructions"] = instructions_where(session, Instruction.pair_id == oid)
    if kind in ("video", "clip", "frame", "segment"):
        out["pairs"] = pair_dicts(session, sorted(pairs, key=lambda p: p.start_s))
    return out


def id_view(session: Session, raw_id: str) -> dict[str, Any]:
    """lineage() back to the video, plus the second and a link that opens it there, plus the forward chain.

    Raises ophin.lineage.trace.UnknownId for an id no table holds.
    """
    back = lineage(session, raw_id)
    video = session.get(Video, uuid.UUID(back["video"]["id"]))
    assert video is not None  # noqa: S101 - lineage() raised otherwise
    back["video"] = video_dict(video)
    at_s = _at_s(back)
    back["at_s"] = at_s
    back["link"] = video_link(video.url, at_s)
    if "instruction" in back:  # the full row with its verdicts, as on the task-instance pages
        back.pop("verifications", None)
        [back["instruction"]] = instruction_dicts(session, [session.get(Instruction, uuid.UUID(back["id"]))])
    back["forward"] = forward(session, back["kind"], uuid.UUID(back["id"]), video.url)
    back["stage_runs"] = [
        {
            "stage": r.stage,
            "attempt": r.attempt,
            "status": r.status,
            "error_class": r.error_class,
            "error_message": r.error_message,
            "started_at": r.started_at.isoformat() if r.started_at else None,
            "task_instance": (
                {"dag_id": r.dag_id, "run_id": r.run_id, "task_id": r.task_id, "map_index": r.map_index}
                if r.dag_id and r.run_id and r.task_id
                else None
            ),
            "try_number": r.try_number,
        }
        for r in session.scalars(
            select(StageRun).where(StageRun.video_id == video.id).order_by(StageRun.started_at)
        )
    ]
    return back


def recent_task_instances(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The task instances that recorded stage attempts, newest first: the search page's starting points."""
    rows = session.execute(
        select(
            StageRun.dag_id,
            StageRun.run_id,
            StageRun.task_id,
            StageRun.map_index,
            StageRun.stage,
            StageRun.status,
            StageRun.started_at,
            StageRun.entity_key,
        )
        .where(StageRun.dag_id.is_not(None), StageRun.run_id.is_not(None), StageRun.task_id.is_not(None))
        .order_by(StageRun.started_at.desc())
        .limit(limit * 4)
    )
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for dag_id, run_id, task_id, map_index, stage, status, started_at, entity in rows:
        key = (dag_id, run_id, task_id, map_index)
        if key not in seen and len(seen) < limit:
            seen[key] = {
                "dag_id": dag_id,
                "run_id": run_id,
                "task_id": task_id,
                "map_index": map_index if map_index is not None else -1,
                "stage": stage,
                "status": status,
                "entity_key": entity,
                "started_at": started_at.isoformat() if started_at else None,
            }
    return list(seen.values())
