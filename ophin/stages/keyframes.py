"""Stage 3, keyframes + clips: scene cuts, then visual drift inside them, split the video into clips; one
stable, de-duplicated keyframe each."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ophin.adapters.object_store import holds, sha256_bytes
from ophin.db.models import Clip, Frame
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import clip_id, frame_id, params_hash
from ophin.domain.keys import frame_key
from ophin.imaging.assess import ImageParams
from ophin.imaging.deid import DeidParams
from ophin.imaging.gops import Gop, GopIndex, SampleLog, find_cuts, gops
from ophin.imaging.spans import Span, SpanParams, segment
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, Task, VideoStage, from_sections
from ophin.stages.common import fetch_media, require_video

STAGE = "keyframes"
UPSTREAM: tuple[str, ...] = ()  # reads only the media
# 3: faces blurred, burned-in PHI redacted, frames scored for clinical content, close cuts
# 4: drift ("change") and max-length boundaries inside cut spans; the keyframe is the span's stable sample
# 5: frames refined (borders trimmed, slides cropped to their photograph), scored and classified by modality
# 6: decode="keyframes": cuts and drift from the keyframes and packet sizes, full decode only where needed
# 7: cuts between similar photographs, round fields kept whole, insets found by their frame, visual_field
# 8: a frame whose redaction hides more than image.max_redacted_fraction of the picture is dropped
# 9: an eye found by its limbus (a cataract's white pupil, an injected sclera); a slide's colour gradient is
#    no fundus relief; an OCR'd person name acts only when read surely (not junk read in OCT speckle)
# 10: one tokeniser: an OCR'd label with non-ASCII letters ("José Müller") is read as a name
VERSION = "10"
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
    # Per-frame refinement, scores, de-identification and the keep/drop rules (ophin/imaging/assess.py).
    image: ImageParams = field(default_factory=ImageParams)
    decode: str = "keyframes"  # keyframes | full: see KeyframeSettings.decode
    # Continuous footage (drift=False: scene cuts only, one frame a little after each cut, as in version 3).
    drift: bool = True
    sample_fps: float = 4.0
    sample_width: int = 160
    change_threshold: float = 0.25
    hold_s: float = 2.0
    still_threshold: float = 0.01
    settle_s: float = 2.0
    min_clip_s: float = 4.0
    max_clip_s: float = 60.0

    def spans(self) -> SpanParams:
        return SpanParams(
            change_threshold=self.change_threshold,
            hold_s=self.hold_s,
            still_threshold=self.still_threshold,
            settle_s=self.settle_s,
            min_clip_s=self.min_clip_s,
            max_clip_s=self.max_clip_s,
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


def plan_spans(local: Any, info: Any, params: KeyframeParams, media: Any) -> list[Span]:
    """Clips and their keyframe times: scene cuts, then (drift on) the drift detector inside each cut span.
    A span with no decoded sample (a still picture muxed with a long narration) keeps the frame a little
    after its start, never past the last video frame."""
    find = _keyframe_analysis if params.decode == "keyframes" else _full_analysis
    cuts, samples = find(local, info, params, media)
    cut_spans = plan_clips(info.duration_s, cuts, params.min_scene_s)
    if params.drift:
        spans = segment(samples(), cut_spans, params.spans())
    else:
        spans = [Span(s, e, "start" if i == 0 else "cut", None, None) for i, (s, e) in enumerate(cut_spans)]
    return [
        span
        if span.frame_t_s is not None
        else Span(
            span.start_s,
            span.end_s,
            span.boundary,
            keyframe_time(span.start_s, span.end_s, info.video_duration_s),
            "settle",
        )
        for span in spans
    ]


Analysis = tuple[list[float], Callable[[], Iterable[tuple[float, Any]]]]


def _full_analysis(local: Any, info: Any, params: KeyframeParams, media: Any) -> Analysis:
    """Every frame decoded twice: ffmpeg's scene score at full resolution, then a sample_fps grey grid."""
    cuts = media.scene_changes(local, params.scene_threshold)
    return cuts, lambda: media.stream_frames(local, fps=params.sample_fps, width=params.sample_width)


def _keyframe_analysis(local: Any, info: Any, params: KeyframeParams, media: Any) -> Analysis:
    """The keyframes and the packets' sizes, with a full decode of only the GOPs that need it (gops.py);
    one pass, its samples spooled for the drift segmentation."""
    width = params.sample_width
    packets = media.packets(local)
    if not any(packets.key):  # no keyframe flags (a raw stream): nothing cheaper to read
        return _full_analysis(local, info, params, media)
    index = GopIndex(gops(packets.t_s, packets.size, packets.key, info.duration_s))

    frame_s = 1.0 / info.fps if info.fps > 0 else 0.04

    def every_frame(gop: Gop) -> Iterable[tuple[float, Any, float]]:
        # Half a frame past the GOP's end: the keyframe closing it, scored against the frame before it.
        return media.scored_frames(local, width, gop.start_s, gop.end_s - gop.start_s + frame_s / 2, info)

    log = SampleLog() if params.drift else None
    cuts = find_cuts(
        media.small_frames(local, width, keyframes_only=True, info=info),
        index,
        every_frame,
        params.scene_threshold,
        params.change_threshold,
        sample_fps=params.sample_fps,
        log=log,
    )

    def samples() -> Iterator[tuple[float, Any]]:
        assert log is not None  # noqa: S101 - type narrowing: plan_spans asks for samples only with drift on
        try:
            yield from log
        finally:
            log.close()

    return cuts, samples


def extract_keyframes(
    vid: uuid.UUID, params: KeyframeParams, *, svc: Services, force: bool = False
) -> StageResult:
    def work(attempt: Attempt) -> dict[str, Any]:
        with session_scope(svc.sessions) as session:
            video = require_video(session, vid)
        return _extract(vid, fetch_media(svc.store, video, attempt.scratch), params, svc)

    def still_valid(output: dict[str, Any]) -> bool:
        # Frames whose images vanished from the store, or no longer hash to what was written (overwritten,
        # or written before hashes were recorded), are made again rather than exported broken.
        with session_scope(svc.sessions) as session:
            rows = session.execute(
                select(Frame.object_key, Frame.sha256).where(Frame.video_id == vid, Frame.kept)
            ).all()
        return all(holds(svc.store, key, sha) for key, sha in rows)

    return SPEC.run(svc, vid, params, work, force=force, still_valid=still_valid)


class OcrUnavailable(RuntimeError):
    """Burned-in text cannot be found without tesseract: refuse rather than export unredacted frames."""


PICTURE_CHUNK = 32  # full-resolution pictures held at once (2.8 MB each at 720p), whatever the video's length


def _pictures(media: Any, local: Any, times: list[float], info: Any, decode: str) -> Iterator[Any]:
    """The full-resolution picture at each of `times` (ascending), in order, PICTURE_CHUNK at a time. In
    decode=keyframes most are keyframes, fetched by a keyframe-only pass over the chunk's stretch; the rest
    come a batch of seeks per ffmpeg run."""
    for i in range(0, len(times), PICTURE_CHUNK):
        chunk = times[i : i + PICTURE_CHUNK]
        got = media.keyframes_at(local, chunk, info=info) if decode == "keyframes" else {}
        got |= media.frames_at(local, [t for t in chunk if t not in got])
        yield from (got[t] for t in chunk)


def _extract(vid: uuid.UUID, local: Any, params: KeyframeParams, svc: Services) -> dict[str, Any]:
    from ophin.adapters import vision  # OpenCV import is slow; only stages that need it pay
    from ophin.imaging.assess import assess_frame

    if params.ocr and svc.ocr is None:
        raise OcrUnavailable("tesseract is not installed; install it or set OPHIN_KEYFRAMES__OCR=false")
    ocr = svc.ocr if params.ocr else None
    detect = vision.detect_faces if params.detect_faces else None
    phash = params_hash(params)
    info = svc.media.probe(local)
    clips, frames, kept_hashes = [], [], []
    spans = plan_spans(local, info, params, svc.media)
    times = [round(span.frame_t_s or span.start_s, 3) for span in spans]
    pictures = _pictures(svc.media, local, times, info, params.decode)
    for index, (span, t, image) in enumerate(zip(spans, times, pictures, strict=True)):
        start, end = span.start_s, span.end_s
        cid = clip_id(vid, int(start * 1000), int(end * 1000), phash)
        clips.append(
            {
                "id": cid,
                "video_id": vid,
                "index": index,
                "start_s": start,
                "end_s": end,
                "boundary": span.boundary,
                "params_hash": phash,
            }
        )
        fid = frame_id(vid, int(t * 1000), phash)
        verdict = assess_frame(image, ocr=ocr, detect_faces=detect, params=params.image)
        ph = verdict.phash  # of the refined picture: letterbox bars do not tell two copies apart
        duplicate = next(
            (f for f, h in kept_hashes if vision.hash_distance(ph, h) <= params.phash_max_distance), None
        )
        drop = verdict.drop_reason
        if duplicate is not None:
            drop = f"near-duplicate of frame {duplicate} (phash distance <= {params.phash_max_distance})"
        elif drop is None:
            kept_hashes.append((fid, ph))
        key = frame_key(vid, fid)
        # Only the redacted image is ever stored: faces blurred, PHI lines filled.
        jpeg = vision.encode_jpeg(verdict.image, params.jpeg_quality)
        svc.store.put_bytes(key, jpeg, content_type="image/jpeg")
        frames.append(
            {
                "id": fid,
                "video_id": vid,
                "clip_id": cid,
                "t_s": t,
                "object_key": key,
                "sha256": sha256_bytes(jpeg),  # checked by every reader: a same-size overwrite is caught
                "selection": span.selection,
                **verdict.frame_columns(),
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


def params_from(svc: Services) -> KeyframeParams:
    k, i = svc.settings.keyframes, svc.settings.image
    deid = from_sections(DeidParams, k)
    return from_sections(KeyframeParams, k, image=from_sections(ImageParams, i, k, deid=deid))


SPEC = VideoStage(
    name=STAGE, version=VERSION, upstream=UPSTREAM, function=extract_keyframes, params=params_from,
    reads=("video",), writes=("clip", "frame"),
    task=Task("extract_keyframes", gate="gate_media"),
)  # fmt: skip
