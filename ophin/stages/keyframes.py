"""Stage 3, keyframes + clips: scene cuts split the video into clips; one de-duplicated keyframe each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ophin.db.models import Clip, Frame
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import clip_id, frame_id, params_hash
from ophin.domain.keys import frame_key
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, run_on_video
from ophin.stages.common import fetch_media, require_video

STAGE = "keyframes"
VERSION = "2"  # 2: still images and very short videos yield their frame
SETTLE_S = 0.5  # grab a little after the cut: past fades and encoder smear


@dataclass(frozen=True)
class KeyframeParams:
    scene_threshold: float = 0.3
    min_scene_s: float = 1.0
    phash_max_distance: int = 6
    jpeg_quality: int = 90
    detect_faces: bool = True


def plan_clips(duration_s: float, cuts: list[float], min_scene_s: float) -> list[tuple[float, float]]:
    """Clips as [start, end) spans from scene-cut times; the first starts at 0; cuts too close merge."""
    starts = [0.0]
    for cut in sorted(cuts):
        if cut - starts[-1] >= min_scene_s and duration_s - cut >= min_scene_s / 2:
            starts.append(cut)
    ends = starts[1:] + [duration_s]
    return [(round(s, 3), round(e, 3)) for s, e in zip(starts, ends, strict=True)]


def keyframe_time(start_s: float, end_s: float, last_frame_s: float | None = None) -> float:
    """A little after the cut, inside the clip, and never past the last video frame (a still image
    muxed with a long narration has one frame at 0 s and a container as long as the narration)."""
    t = start_s + min(SETTLE_S, (end_s - start_s) / 2)
    if last_frame_s is not None:
        t = min(t, max(last_frame_s, 0.0))
    return round(t, 3)


def extract_keyframes(
    vid: uuid.UUID, params: KeyframeParams, *, svc: Services, force: bool = False
) -> StageResult:
    def work(attempt: Attempt) -> dict[str, Any]:
        with session_scope(svc.sessions) as session:
            video = require_video(session, vid)
        return _extract(vid, fetch_media(svc.store, video, attempt.scratch), params, svc)

    def still_valid(output: dict[str, Any]) -> bool:
        # Frames whose images vanished from the store are made again rather than exported broken.
        with session_scope(svc.sessions) as session:
            keys = session.scalars(select(Frame.object_key).where(Frame.video_id == vid, Frame.kept)).all()
        return all(svc.store.exists(k) for k in keys)

    return run_on_video(
        svc,
        vid,
        stage=STAGE,
        version=VERSION,
        params=params,
        work=work,
        force=force,
        still_valid=still_valid,
    )


def _extract(vid: uuid.UUID, local: Any, params: KeyframeParams, svc: Services) -> dict[str, Any]:
    from ophin.adapters import vision  # OpenCV import is slow; only stages that need it pay

    phash = params_hash(params)
    info = svc.media.probe(local)
    spans = plan_clips(
        info.duration_s, svc.media.scene_changes(local, params.scene_threshold), params.min_scene_s
    )
    clips, frames, kept_hashes = [], [], []
    for index, (start, end) in enumerate(spans):
        cid = clip_id(vid, int(start * 1000), int(end * 1000), phash)
        clips.append(
            {"id": cid, "video_id": vid, "index": index, "start_s": start, "end_s": end, "params_hash": phash}
        )
        t = keyframe_time(start, end, info.video_duration_s)
        image = svc.media.frame_at(local, t)
        fid = frame_id(vid, int(t * 1000), phash)
        ph = vision.perceptual_hash(image)
        faces = vision.count_faces(image) if params.detect_faces else None
        duplicate = next(
            (f for f, h in kept_hashes if vision.hash_distance(ph, h) <= params.phash_max_distance), None
        )
        drop = None
        if duplicate is not None:
            drop = f"near-duplicate of frame {duplicate} (phash distance <= {params.phash_max_distance})"
        elif faces:
            drop = f"{faces} face(s) detected: dropped for de-identification"
        else:
            kept_hashes.append((fid, ph))
        key = frame_key(vid, fid)
        svc.store.put_bytes(key, vision.encode_jpeg(image, params.jpeg_quality), content_type="image/jpeg")
        frames.append(
            {
                "id": fid,
                "video_id": vid,
                "clip_id": cid,
                "t_s": t,
                "object_key": key,
                "width": image.shape[1],
                "height": image.shape[0],
                "phash": ph,
                "sharpness": round(vision.sharpness(image), 2),
                "face_count": faces,
                "kept": drop is None,
                "drop_reason": drop,
                "duplicate_of": duplicate,
                "params_hash": phash,
            }
        )
    with session_scope(svc.sessions) as session:
        upsert(session, Clip, clips)
        upsert(session, Frame, frames)
        delete_stale(session, Frame, Frame.video_id == vid, [f["id"] for f in frames])
        delete_stale(session, Clip, Clip.video_id == vid, [c["id"] for c in clips])
    return {"clips": len(clips), "frames": len(frames), "kept": sum(f["kept"] for f in frames)}
