"""Keyframes per minute of video: a static slide against continuous camera footage (a slow pan and zoom over
a fundus), with drift segmentation on and off, and what the low-resolution decode + segmentation cost per
minute of 720p video (next to ffmpeg's scene-score pass, which runs either way).

    python -m bench.keyframes [--minutes 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from skimage.data import retina

from ophin.adapters import vision
from ophin.adapters.media import FfmpegMedia
from ophin.imaging.spans import segment
from ophin.stages.keyframes import KeyframeParams, plan_clips, plan_spans
from tests.support.media import footage_video


def _slide(t: float) -> tuple[float, float, float]:
    return 0.5, 0.5, 1.0


def _exam(t: float) -> tuple[float, float, float]:
    """A slow roaming look over the fundus: never still, never a cut."""
    tau = 2 * math.pi * t
    return 0.5 + 0.2 * math.sin(tau / 60), 0.5 + 0.15 * math.sin(tau / 45), 2.5 + 0.8 * math.sin(tau / 80)


def measure(path: Path, params: KeyframeParams, media: FfmpegMedia) -> dict[str, Any]:
    info = media.probe(path)
    minutes = info.duration_s / 60
    t0 = time.perf_counter()
    cuts = plan_clips(info.duration_s, media.scene_changes(path, params.scene_threshold), params.min_scene_s)
    scene_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    samples = sum(1 for _ in media.stream_frames(path, fps=params.sample_fps, width=params.sample_width))
    decode_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    segment(media.stream_frames(path, fps=params.sample_fps, width=params.sample_width), cuts, params.spans())
    segment_s = time.perf_counter() - t0
    spans = plan_spans(path, info, params, media)
    kept: list[str] = []
    for span in spans:  # the stage's phash dedup, without OCR/face work
        ph = vision.perceptual_hash(media.frame_at(path, span.frame_t_s or span.start_s))
        if all(vision.hash_distance(ph, h) > params.phash_max_distance for h in kept):
            kept.append(ph)
    return {
        "clips_per_min": round(len(spans) / minutes, 2),
        "kept_frames_per_min": round(len(kept) / minutes, 2),
        "boundaries": sorted({s.boundary for s in spans}),
        "scene_pass_s_per_min": round(scene_s / minutes, 2),
        "samples": samples,
        "lowres_decode_s_per_min": round(decode_s / minutes, 2),
        "lowres_decode_and_segment_s_per_min": round(segment_s / minutes, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    media = FfmpegMedia()
    picture = retina()
    slide = np.full((1411, 2508, 3), 250, np.uint8)
    slide[:, 548:1959] = picture
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, source, path in (("static slide", slide, _slide), ("continuous footage", picture, _exam)):
            video = footage_video(Path(tmp) / "v.mp4", source, path, args.minutes * 60, size=(1280, 720))
            for drift in (True, False):  # the segmentation figures are measured either way
                row = {"video": name, "drift": drift, **measure(video, KeyframeParams(drift=drift), media)}
                results.append(row)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for row in results:
        print("  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
