"""Redaction recall on labelled frames: is each burned-in name gone from the image the engine stores?

A name counts as redacted when both hold on the stored (refined, redacted) image:
  - covered: at least COVER (90 %) of the name's ink pixels are outside the stored crop or filled with the
    redaction colour (every channel <= FILLED), and
  - unreadable: tesseract on the stored image reads none of the name's words.
Recall is the share of labelled names redacted. False redaction is the share of the clinical picture's
pixels (inside the stored crop, not black to begin with) that come out filled: on labelled frames and on
clean ones, so blacking out everything cannot score.

Misses are listed for the dev set only: the held-out set is never tuned on, so its misses are never shown.
A figure below its target is printed red (the held-out one may be; the tests hold dev to the target and
held-out to a regression floor).

    python -m eval.redaction.report [--limit N] [--stride N] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from eval.redaction.frames import Labelled, clean_set, labelled_set

COVER = 0.9
FILLED = 8
TARGET_RECALL = 0.95
TARGET_FALSE_REDACTION = 0.01
RED, END = "\033[31m", "\033[0m"


@dataclass(frozen=True)
class Outcome:
    name: str
    covered: float  # share of the name's ink removed (outside the crop or filled)
    readable: bool  # tesseract still reads a word of the name in the stored image
    false_redaction: float  # share of the clinical picture filled
    ms: float  # assess_frame's time

    @property
    def redacted(self) -> bool:
        return self.covered >= COVER and not self.readable


def stored_image(image: np.ndarray, ocr: Any) -> tuple[np.ndarray, tuple[int, int, int, int], float]:
    """What the keyframes stage would store for this frame, its crop box in frame pixels, and the ms taken."""
    from ophin.imaging.assess import ImageParams, assess_frame

    t = time.perf_counter()
    a = assess_frame(image, ocr=ocr, detect_faces=lambda im: [], params=ImageParams())
    return a.image, tuple(a.crop_box["box"]), (time.perf_counter() - t) * 1000


def in_frame(stored: np.ndarray, box: tuple[int, int, int, int], shape: tuple[int, ...]) -> np.ndarray:
    """The stored image put back at its crop in the frame; outside the crop reads as filled."""
    import cv2

    x, y, w, h = box
    canvas = np.zeros(shape, np.uint8)
    canvas[y : y + h, x : x + w] = cv2.resize(stored, (w, h), interpolation=cv2.INTER_NEAREST)
    return canvas


def name_readable(stored: np.ndarray, name: str, ocr: Any) -> bool:
    from ophin.adapters.ocr import lines

    read = " ".join(line.text for line in lines(ocr.words(stored))).lower()
    tokens = set(re.findall(r"[a-z]{2,}", read))
    return any(part in tokens for part in re.findall(r"[a-z]{2,}", name.lower()))


def evaluate(frame: Labelled, ocr: Any, reader: Any) -> Outcome:
    stored, box, ms = stored_image(frame.image, ocr)
    back = in_frame(stored, box, frame.image.shape)
    filled = back.max(axis=2) <= FILLED
    was = frame.image.max(axis=2) > FILLED
    clinical = frame.clinical & was
    x, y, w, h = box
    inside = np.zeros(filled.shape, bool)
    inside[y : y + h, x : x + w] = True
    false = float((filled & clinical & inside).sum() / max(1, (clinical & inside).sum()))
    if frame.name_ink is None:
        return Outcome(frame.name, 1.0, False, false, ms)
    covered = float(filled[frame.name_ink].mean())
    return Outcome(frame.name, covered, name_readable(stored, frame.name_text, reader), false, ms)


def run(
    families: tuple[str, ...] = ("dev", "heldout"),
    limit: int | None = None,
    stride: int = 1,
    *,
    clean: bool = True,
    offset: int = 0,
) -> dict[str, Any]:
    from ophin.adapters.ocr import TesseractOcr

    ocr = TesseractOcr(min_conf=0)  # as the engine's services build it
    reader = TesseractOcr(min_conf=50)  # a reader: what a person would make out
    report: dict[str, Any] = {}
    for family in families:
        frames = labelled_set(family, limit=limit)[offset::stride]
        report[family] = summarise([evaluate(f, ocr, reader) for f in frames], misses=family == "dev")
    if clean:
        report["clean"] = {
            o.name: {"false_redaction": round(o.false_redaction, 4), "ms": round(o.ms)}
            for o in (evaluate(f, ocr, reader) for f in clean_set())
        }
    return report


def summarise(outcomes: list[Outcome], *, misses: bool = True) -> dict[str, Any]:
    """Figures; with misses=False (held-out) neither the missed frames nor the per-axis rates."""
    by: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for o in outcomes:
        _, kind, place, ink, px, *cut = o.name.split("/")
        for axis, value in (("kind", kind), ("place", place), ("ink", ink), ("px", px), ("cut", bool(cut))):
            by[axis][str(value)].append(o.redacted)
    ms = sorted(o.ms for o in outcomes)
    return {
        "frames": len(outcomes),
        "recall": round(sum(o.redacted for o in outcomes) / max(1, len(outcomes)), 4),
        "covered_recall": round(sum(o.covered >= COVER for o in outcomes) / max(1, len(outcomes)), 4),
        "still_readable": sum(o.readable for o in outcomes),
        "false_redaction_mean": round(float(np.mean([o.false_redaction for o in outcomes])), 4),
        "false_redaction_max": round(max(o.false_redaction for o in outcomes), 4),
        "ms_per_frame_median": round(ms[len(ms) // 2]),
        "by": {a: {k: round(sum(v) / len(v), 3) for k, v in vals.items()} for a, vals in by.items()}
        if misses
        else {},
        "missed": [
            f"{o.name} covered={o.covered:.2f} readable={o.readable}" for o in outcomes if not o.redacted
        ]
        if misses
        else [],
    }


def _mark(value: float, ok: bool, fmt: str) -> str:
    return format(value, fmt) if ok else f"{RED}{value:{fmt}} (below target){END}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="frames per family (default: all)")
    ap.add_argument("--stride", type=int, default=1, help="every Nth frame (the test uses 6)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    report = run(limit=args.limit, stride=args.stride)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for family in ("dev", "heldout"):
        r = report[family]
        recall = _mark(r["recall"], r["recall"] >= TARGET_RECALL, ".3f")
        false = _mark(r["false_redaction_mean"], r["false_redaction_mean"] <= TARGET_FALSE_REDACTION, ".4f")
        print(
            f"{family:8s} frames={r['frames']} recall={recall} (covered {r['covered_recall']:.3f}, "
            f"still readable {r['still_readable']}) false redaction mean={false} "
            f"max={r['false_redaction_max']:.4f} ms/frame={r['ms_per_frame_median']}"
        )
        for axis, values in r["by"].items():
            print(f"  {axis:6s} " + "  ".join(f"{k}={v:.2f}" for k, v in values.items()))
        for line in r["missed"]:
            print(f"  missed {line}")
    for name, r in report["clean"].items():
        print(f"{name:14s} false redaction={r['false_redaction']:.4f} ms={r['ms']}")


if __name__ == "__main__":
    main()
