"""The visual analysis of 720p video (clips, their frame times, the chosen frames at full resolution) against
a bare full decode of the same file: a static slide and continuous camera footage (a slow roaming look over a
fundus), decode=keyframes (the default) and decode=full, drift segmentation on and off; clips and kept frames
per minute, CPU per minute and the ratio to the bare decode (the issue-12 target: at most 0.3).

    python -m bench.keyframes [--minutes 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from skimage.data import retina

from ophin.adapters import vision
from ophin.adapters.media import FfmpegMedia
from ophin.stages.keyframes import KeyframeParams, plan_spans
from tests.support.media import footage_video


def _slide(t: float) -> tuple[float, float, float]:
    return 0.5, 0.5, 1.0


def _exam(t: float) -> tuple[float, float, float]:
    """A slow roaming look over the fundus: never still, never a cut."""
    tau = 2 * math.pi * t
    return 0.5 + 0.2 * math.sin(tau / 60), 0.5 + 0.15 * math.sin(tau / 45), 2.5 + 0.8 * math.sin(tau / 80)


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (ffmpeg, ffprobe)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def bare_decode_cpu_s(path: Path) -> float:
    """CPU of decoding every frame of the file and doing nothing with it: the yardstick."""
    before = _cpu_s()
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "null", "-"], check=True)
    return _cpu_s() - before


def measure(path: Path, params: KeyframeParams, media: FfmpegMedia, bare_s: float) -> dict[str, Any]:
    """The visual analysis as the stage runs it: clips and their frame times, then the chosen frames at
    full resolution (image assessment, OCR and faces excluded: they do not decode)."""
    info = media.probe(path)
    minutes = info.duration_s / 60
    before, t0 = _cpu_s(), time.perf_counter()
    spans = plan_spans(path, info, params, media)
    times = [round(s.frame_t_s or s.start_s, 3) for s in spans]
    pictures = media.keyframes_at(path, times, info=info) if params.decode == "keyframes" else {}
    pictures |= media.frames_at(path, [t for t in times if t not in pictures])
    images = [pictures[t] for t in times]
    cpu_s, wall_s = _cpu_s() - before, time.perf_counter() - t0
    kept: list[str] = []
    for image in images:  # the stage's phash dedup, without OCR/face work
        ph = vision.perceptual_hash(image)
        if all(vision.hash_distance(ph, h) > params.phash_max_distance for h in kept):
            kept.append(ph)
    return {
        "clips_per_min": round(len(spans) / minutes, 2),
        "kept_frames_per_min": round(len(kept) / minutes, 2),
        "boundaries": sorted({s.boundary for s in spans}),
        "cuts": [s.start_s for s in spans if s.boundary == "cut"][:8],
        "analysis_cpu_s_per_min": round(cpu_s / minutes, 2),
        "analysis_wall_s_per_min": round(wall_s / minutes, 2),
        "bare_decode_cpu_s_per_min": round(bare_s / minutes, 2),
        "ratio_to_bare_decode": round(cpu_s / bare_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5.0)
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
            bare_s = bare_decode_cpu_s(video)
            for decode in ("keyframes", "full"):
                for drift in (True, False):
                    params = KeyframeParams(decode=decode, drift=drift)
                    row = {
                        "video": name,
                        "decode": decode,
                        "drift": drift,
                        **measure(video, params, media, bare_s),
                    }
                    results.append(row)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for row in results:
        print("  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
