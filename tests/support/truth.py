"""Reading the sample corpus ground truth: scene at a time, narrated sentences, word error rate."""

from __future__ import annotations

import re
from typing import Any


def scene_at(video_truth: dict[str, Any], t_s: float) -> dict[str, Any]:
    return next(s for s in video_truth["scenes"] if s["start_s"] <= t_s < s["end_s"] + 1e-6)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)] / max(len(ref), 1)


def word_recall(reference: str, hypothesis: str) -> float:
    """Fraction of the reference's content words (4+ letters) present in the hypothesis."""
    ref = {w for w in words(reference) if len(w) >= 4}
    return len(ref & set(words(hypothesis))) / max(len(ref), 1)
