"""Confusion matrix of the modality step on the DEV image set (tests/fixtures/modality_dev).

python -m bench.modality [--per-label N] [--no-faces]   (make bench-modality)

Each image goes through assess_frame as a keyframe would (refinement, OCR, face search, clinical score,
modality). The predicted column is the frame's modality, or "not clinical" when the clinical score drops
it before its modality counts (so a clinical image lost there shows as an error too).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from tests.fixtures.modality_dev.generate import DRAWERS, dev_set

NOT_CLINICAL = "not clinical"


def run(per_label: int, seed: int, faces: bool) -> tuple[Counter, list[str]]:
    from ophin.adapters import vision
    from ophin.adapters.ocr import TesseractOcr
    from ophin.imaging.assess import ImageParams, assess_frame

    ocr = TesseractOcr()
    params = ImageParams()
    counts: Counter = Counter()
    errors = []
    for truth, drawer, image in dev_set(per_label, seed):
        a = assess_frame(
            image, ocr=ocr, detect_faces=vision.detect_faces if faces else (lambda _im: []), params=params
        )
        got = a.modality if a.is_clinical or a.modality not in params.allowed_modalities else NOT_CLINICAL
        counts[(truth, got)] += 1
        if got != truth:
            why = f"clinical {a.clinical_score:.2f}; {a.modality_reason}"
            errors.append(f"{truth:<17} {drawer:<15} -> {got:<17} {why}")
    return counts, errors


def render(counts: Counter) -> list[str]:
    labels = list(DRAWERS)
    cols = [*labels, NOT_CLINICAL]
    short = [c[:7] for c in cols]
    lines = [f"{'true / predicted':<18}" + "".join(f"{s:>8}" for s in short) + "  recall"]
    total = right = 0
    for t in labels:
        row = [counts[(t, c)] for c in cols]
        n = sum(row)
        total, right = total + n, right + counts[(t, t)]
        lines.append(f"{t:<18}" + "".join(f"{v:>8}" for v in row) + f"  {counts[(t, t)] / max(n, 1):.2f}")
    lines.append(f"accuracy {right}/{total} = {right / max(total, 1):.2f}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--per-label", type=int, default=12)
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("--no-faces", action="store_true", help="skip the face detector (faster)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    counts, errors = run(args.per_label, args.seed, not args.no_faces)
    print("\n".join(render(counts)))
    print(f"errors ({len(errors)}):", *errors, sep="\n  ")
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
