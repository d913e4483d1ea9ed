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
from ophin.imaging.deid import DeidParams
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, run_on_video
from ophin.stages.common import fetch_media, require_video

STAGE = "keyframes"
UPSTREAM: tuple[str, ...] = ()  # reads only the media
VERSION = "3"  # 3: faces blurred, burned-in PHI redacted, frames scored for clinical content, close cuts
SETTLE_S = 0.5  # grab a little after the cut: past fades and encoder smear


@dataclass(frozen=True)
class KeyframeParams:
    scene_threshold: float = 0.3
    min_scene_s: float = 1.0
    phash_max_distance: int = 6
    jpeg_quality: int = 90
    detect_faces: bool = True
    ocr: bool = (
        True  # burned-in text: found by OCR, redacted when it holds PHI, measured for the clinical score
    )
    face_subject_fraction: float = 0.02  # a face this large (of the frame) is what the frame shows: dropped
    clinical_threshold: float = 0.5
    redact_regions: tuple[tuple[float, float, float, float], ...] = ()  # normalised x, y, w, h, always filled

    def deid(self) -> DeidParams:
        return DeidParams(
            face_subject_fraction=self.face_subject_fraction, redact_regions=self.redact_regions
        )


def plan_clips(duration_s: float, cuts: list[float], min_scene_s: float) -> list[tuple[float, float]]:
    """Clips as [start, end) spans from scene-cut times, covering the video from 0.

    A cut closer than min_scene_s to the previous one (a transition, a flash) moves that clip's start to
    itself: the scene is what follows the last cut, so its keyframe is taken there, not in the fragment
    before (a clip cut from a lecture 0.8 s before a slide change would otherwise show the old slide).
    The video's own start stays, as a short first clip of its own.
    """
    starts = [0.0]
    for cut in sorted(cuts):
        if cut <= starts[-1] or duration_s - cut < min_scene_s / 2:
            continue  # a cut in the last instant is no scene
        if cut - starts[-1] >= min_scene_s or len(starts) == 1:
            starts.append(cut)
        else:
            starts[-1] = cut
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


class OcrUnavailable(RuntimeError):
    """Burned-in text cannot be found without tesseract: refuse rather than export unredacted frames."""


def _extract(vid: uuid.UUID, local: Any, params: KeyframeParams, svc: Services) -> dict[str, Any]:
    from ophin.adapters import vision  # OpenCV import is slow; only stages that need it pay
    from ophin.imaging.clinical import ClinicalParams, clinical_score
    from ophin.imaging.deid import deidentify

    if params.ocr and svc.ocr is None:
        raise OcrUnavailable("tesseract is not installed; install it or set OPHIN_KEYFRAMES__OCR=false")
    ocr = svc.ocr if params.ocr else None
    detect = vision.detect_faces if params.detect_faces else (lambda image: [])
    clinical_params = ClinicalParams(threshold=params.clinical_threshold)
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
        deid = deidentify(image, ocr=ocr, params=params.deid(), detect_faces=detect)
        clinical = clinical_score(image, deid.ocr_words, clinical_params)
        duplicate = next(
            (f for f, h in kept_hashes if vision.hash_distance(ph, h) <= params.phash_max_distance), None
        )
        drop = None
        if duplicate is not None:
            drop = f"near-duplicate of frame {duplicate} (phash distance <= {params.phash_max_distance})"
        elif deid.face_is_subject:
            share = f"{deid.face_fraction:.1%} of the frame"
            drop = f"a face is the main content ({share}): dropped for de-identification"
        elif not clinical.is_clinical:
            drop = f"not a clinical image (score {clinical.score:.2f}): {clinical.reason}"
        else:
            kept_hashes.append((fid, ph))
        key = frame_key(vid, fid)
        # Only the redacted image is ever stored: faces blurred, PHI lines filled.
        svc.store.put_bytes(
            key, vision.encode_jpeg(deid.image, params.jpeg_quality), content_type="image/jpeg"
        )
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
                "face_count": deid.faces,
                "faces_blurred": deid.faces_blurred,
                "text_redacted": deid.text_boxes_redacted,
                "redaction_reasons": deid.redaction_reasons or None,
                "clinical_score": clinical.score,
                "clinical_reason": clinical.reason,
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
    return {
        "clips": len(clips),
        "frames": len(frames),
        "kept": sum(f["kept"] for f in frames),
        "faces_blurred": sum(f["faces_blurred"] for f in frames),
        "text_redacted": sum(f["text_redacted"] for f in frames),
    }
