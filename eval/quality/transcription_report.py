"""Segmentation, frame, pairing, transcription and speed figures of a run over a sample-corpus set.

Read from the database after a run (clips, kept frames, pairs, transcript segments, stage runs) and held
against the set's ground truth: the slide lectures (``videos``) and the continuous footage and long slides
(``footage``).  Figures only, no targets yet: issue 9 sets them once the engine can segment footage.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eval.corpus import file_of, ground_truth, stored_urls
from eval.quality.transcription import (
    BoundaryScore,
    PairWindow,
    TimedSentence,
    WordErrors,
    frames_per_minute,
    long_slide_pairing,
    match_boundaries,
    pooled,
    real_time_factors,
    span_coverage,
    word_error_rate,
)
from ophin.db.models import Clip, Frame, Pair, StageRun, TranscriptSegment, Video

# A slide cut is exact (frame-aligned, ffmpeg finds it to the frame): half a second is generous.  A
# finding-to-finding boundary in footage is the middle of a camera pan ``pan_s`` long; the view changes
# over the whole pan, so any boundary inside it (plus half a second) counts.
SLIDE_TOLERANCE_S = 0.5


def footage_tolerance_s(video: dict[str, Any]) -> float:
    return video.get("pan_s", 0.0) / 2 + SLIDE_TOLERANCE_S


def _truth_by_file(set_name: str) -> dict[str, dict[str, Any]]:
    truth = ground_truth(set_name)
    out = {v["file"]: {**v, "kind": "lecture"} for v in truth["videos"]}
    out.update({v["file"]: v for v in truth.get("footage", [])})
    return out


def true_boundaries(video: dict[str, Any]) -> list[float]:
    """Where the picture changes: every scene start but the first (lectures), ``boundaries_s`` (footage)."""
    if video["kind"] == "lecture":
        return [s["start_s"] for s in video["scenes"][1:]]
    return list(video["boundaries_s"])


def spoken_sentences(video: dict[str, Any]) -> list[dict[str, Any]]:
    """Every narrated sentence of a video, in time order."""
    if video["kind"] == "lecture":
        said = [s for scene in video["scenes"] for s in scene["sentences"]]
    else:
        said = list(video.get("intro", [])) + [s for span in video["spans"] for s in span["sentences"]]
    return sorted(said, key=lambda s: s["start_s"])


def _pool_boundaries(scores: list[BoundaryScore]) -> dict[str, Any]:
    matched, predicted, true = (sum(getattr(s, k) for s in scores) for k in ("matched", "predicted", "true"))
    precision = matched / predicted if predicted else float(not true)
    recall = matched / true if true else float(not predicted)
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "matched": matched,
        "predicted": predicted,
        "true": true,
    }


def _rows(session: Session, set_name: str) -> dict[str, Any]:
    videos = session.execute(select(Video.id, Video.url).where(Video.url.in_(stored_urls(set_name)))).all()
    ids = [vid for vid, _ in videos]
    rows: dict[str, Any] = {"names": {vid: file_of(url) for vid, url in videos}}
    # Clip boundaries forced by the maximum clip length ("max") are splits for size, not a claim that the
    # picture changed: they are left out of the predictions (and counted).
    rows["clips"] = session.execute(
        select(Clip.video_id, Clip.index, Clip.start_s, Clip.boundary).where(Clip.video_id.in_(ids))
    ).all()
    rows["frames"] = session.execute(
        select(Frame.video_id, Frame.t_s).where(Frame.video_id.in_(ids), Frame.kept)
    ).all()
    rows["pairs"] = session.execute(
        select(Pair.video_id, Pair.start_s, Pair.end_s, Frame.t_s)
        .join(Frame, Frame.id == Pair.frame_id)
        .where(Pair.video_id.in_(ids))
    ).all()
    rows["segments"] = session.execute(
        select(
            TranscriptSegment.video_id,
            TranscriptSegment.backend,
            TranscriptSegment.model,
            TranscriptSegment.start_s,
            TranscriptSegment.index,
            TranscriptSegment.text,
        )
        .where(TranscriptSegment.video_id.in_(ids))
        .order_by(TranscriptSegment.start_s, TranscriptSegment.index)
    ).all()
    rows["runs"] = session.execute(
        select(StageRun.stage, StageRun.video_id, StageRun.duration_s)
        .where(StageRun.video_id.in_(ids), StageRun.status == "succeeded", StageRun.duration_s.is_not(None))
        .order_by(StageRun.started_at.desc())
    ).all()
    return rows


def measure_transcription(session: Session, set_name: str) -> dict[str, Any]:
    """All figures of one set, as plain JSON-ready values (see the module docstring)."""
    truth = _truth_by_file(set_name)
    rows = _rows(session, set_name)
    names: dict[uuid.UUID, str] = {vid: n for vid, n in rows["names"].items() if n in truth}
    kind_of = {vid: truth[n]["kind"] for vid, n in names.items()}

    predicted: dict[uuid.UUID, list[float]] = defaultdict(list)
    forced = 0
    for vid, index, start_s, boundary in rows["clips"]:
        if vid in names and index > 0:
            if boundary == "max":
                forced += 1
            else:
                predicted[vid].append(start_s)
    frames: dict[uuid.UUID, list[float]] = defaultdict(list)
    for vid, t_s in rows["frames"]:
        frames[vid].append(t_s)

    boundaries: dict[str, list[BoundaryScore]] = defaultdict(list)
    n_frames: dict[str, int] = defaultdict(int)
    minutes: dict[str, float] = defaultdict(float)
    per_video: dict[str, dict[str, Any]] = {}
    for vid, name in sorted(names.items(), key=lambda item: item[1]):
        video, kind = truth[name], kind_of[vid]
        tolerance = SLIDE_TOLERANCE_S if kind == "lecture" else footage_tolerance_s(video)
        score = match_boundaries(predicted[vid], true_boundaries(video), tolerance)
        boundaries[kind].append(score)
        n_frames[kind] += len(frames[vid])
        minutes[kind] += video["duration_s"]
        entry: dict[str, Any] = {
            "kind": kind,
            "clips": len(predicted[vid]) + 1,
            "kept_frames": len(frames[vid]),
            "boundaries": asdict(score),
        }
        if kind == "continuous":  # a long slide is one picture: its spans are narration, not views
            cover = span_coverage(frames[vid], [(s["start_s"], s["end_s"]) for s in video["spans"]])
            entry["span_coverage"] = {
                "covered": cover.covered,
                "total": cover.total,
                "share": cover.share,
                "missed": [video["spans"][i]["finding"] for i in cover.missed],
            }
        if kind == "long_slide":
            entry["pairing"] = asdict(_pairing(video, [r for r in rows["pairs"] if r[0] == vid]))
        per_video[name] = entry

    spans = [v["span_coverage"] for v in per_video.values() if v["kind"] == "continuous"]
    pairings = [v["pairing"] for v in per_video.values() if v["kind"] == "long_slide"]
    footage_tolerance = {v["kind"]: footage_tolerance_s(v) for v in truth.values() if v["kind"] != "lecture"}
    return {
        "tolerance_s": {"lecture": SLIDE_TOLERANCE_S, **footage_tolerance},
        "boundaries": {kind: _pool_boundaries(scores) for kind, scores in sorted(boundaries.items())},
        "forced_splits": forced,
        "frames_per_minute": {k: frames_per_minute(n_frames[k], minutes[k]) for k in sorted(minutes)},
        "footage_span_coverage": _share(sum(s["covered"] for s in spans), sum(s["total"] for s in spans)),
        "long_slide_paired": _share(sum(p["paired"] for p in pairings), len(pairings)),
        "long_slide_separate": _share(sum(p["separate"] for p in pairings), len(pairings)),
        "wer": _wer(rows["segments"], names, truth),
        "real_time_factor": real_time_factors(
            ((stage, str(vid), d) for stage, vid, d in rows["runs"] if vid in names),
            {str(vid): truth[n]["duration_s"] for vid, n in names.items()},
        ),
        "videos": per_video,
    }


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _pairing(video: dict[str, Any], pairs: list[Any]) -> Any:
    sentences = [TimedSentence(s.get("finding"), s["start_s"], s["end_s"]) for s in spoken_sentences(video)]
    whole = (0.0, video["duration_s"])  # a static slide: every frame shows every finding
    windows = {span["finding"]: whole for span in video["spans"]}
    return long_slide_pairing([PairWindow(a, b, t) for _, a, b, t in pairs], sentences, windows)


def _wer(
    segments: list[Any], names: dict[uuid.UUID, str], truth: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Per backend/model: pooled WER over the videos it transcribed, and per video kind."""
    heard: dict[tuple[str, uuid.UUID], list[str]] = defaultdict(list)
    for vid, backend, model, _start, _index, text in segments:
        if vid in names:
            # model already names its backend ("faster-whisper/base", "subtitles/creator")
            label = model if str(model).startswith(f"{backend}/") else f"{backend or 'unknown'}/{model}"
            heard[(label, vid)].append(text)
    by_backend: dict[str, dict[str, list[WordErrors]]] = defaultdict(lambda: defaultdict(list))
    for (backend, vid), texts in heard.items():
        video = truth[names[vid]]
        said = " ".join(s["text"] for s in spoken_sentences(video))
        errors = word_error_rate(said, " ".join(texts))
        by_backend[backend]["all"].append(errors)
        by_backend[backend][video["kind"]].append(errors)
    return {
        backend: {kind: pooled(errs).rate for kind, errs in sorted(kinds.items())}
        for backend, kinds in sorted(by_backend.items())
    }


def render_transcription(figures: dict[str, Any]) -> list[str]:
    """Readable lines for `ophin report` (figures without targets)."""
    lines = ["  segmentation, frames, pairing and transcription (no targets yet):"]
    tol = ", ".join(f"{k} {v:g} s" for k, v in figures["tolerance_s"].items())
    for kind, b in figures["boundaries"].items():
        lines.append(
            f"    boundaries {kind:<11} precision {b['precision']:.3f} recall {b['recall']:.3f} "
            f"({b['matched']} of {b['true']} true, {b['predicted']} predicted)"
        )
    forced = figures["forced_splits"]
    lines.append(f"    (a predicted boundary matches within {tol}; {forced} max-length splits left out)")
    fpm = ", ".join(f"{k} {v:g}" for k, v in figures["frames_per_minute"].items())
    lines.append(f"    kept frames per minute: {fpm}")
    if figures["footage_span_coverage"] is not None:
        lines.append(f"    footage finding spans with a kept frame: {figures['footage_span_coverage']:.3f}")
    if figures["long_slide_paired"] is not None:
        lines.append(
            f"    long-slide findings paired: {figures['long_slide_paired']:.3f}, "
            f"in pairs of their own: {figures['long_slide_separate']:.3f}"
        )
    for backend, rates in figures["wer"].items():
        lines.append(f"    WER {backend}: " + ", ".join(f"{k} {v:.3f}" for k, v in rates.items()))
    rtf = ", ".join(f"{k} {v:.3f}" for k, v in figures["real_time_factor"].items())
    lines.append(f"    real-time factor per stage: {rtf or 'no stage runs'}")
    for name, v in figures["videos"].items():
        extra = ""
        if "span_coverage" in v:
            extra = f", spans covered {v['span_coverage']['covered']}/{v['span_coverage']['total']}"
        if "pairing" in v:
            extra += f", paired {v['pairing']['paired']:.2f} separate {v['pairing']['separate']:.2f}"
        lines.append(f"    {name}: {v['clips']} clips, {v['kept_frames']} kept frames{extra}")
    return lines
