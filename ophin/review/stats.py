"""The review report's statistics, as pure functions: Wilson intervals, verdict rates, each check's precision
and recall against the labels, an F1-best threshold per scored check, and Cohen's kappa between reviewers."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ophin.review.vocabulary import VERDICTS

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile: a two-sided 95 % interval


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of the proportion k/n; None with no observations."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"{k} successes out of {n}")
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def consensus(verdicts: Iterable[str]) -> str:
    """One verdict per instruction from its reviewers': the most common, the worse one on a tie."""
    counts = Counter(verdicts)
    if not counts:
        raise ValueError("no verdicts")
    return max(counts, key=lambda v: (counts[v], VERDICTS.index(v)))


def verdict_rates(verdicts: Sequence[str]) -> dict[str, Any]:
    """{n, good: {count, rate, low, high}, usable: ..., bad: ...} with Wilson 95 % intervals."""
    n = len(verdicts)
    counts = Counter(verdicts)
    out: dict[str, Any] = {"n": n}
    for verdict in VERDICTS:
        interval = wilson(counts[verdict], n)
        out[verdict] = {
            "count": counts[verdict],
            "rate": counts[verdict] / n if n else None,
            "low": interval[0] if interval else None,
            "high": interval[1] if interval else None,
        }
    return out


def rates_by(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    """verdict_rates per value of row[key] (None shown as "unknown"), groups sorted by name."""
    groups: dict[str, list[str]] = {}
    for row in rows:
        groups.setdefault(str(row[key]) if row[key] is not None else "unknown", []).append(row["verdict"])
    return {name: verdict_rates(groups[name]) for name in sorted(groups)}


@dataclass(frozen=True)
class Confusion:
    """A check as a detector of bad records: it predicts "bad" when it refuses."""

    tp: int  # refused, reviewer said bad
    fp: int  # refused, reviewer said good or usable (a false alarm)
    fn: int  # passed, reviewer said bad (a miss)
    tn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else None

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "n": self.n,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


def confusion(outcomes: Iterable[tuple[bool, bool]]) -> Confusion:
    """From (refused, bad) pairs, one per labelled instruction the check ran on."""
    counts = Counter((bool(refused), bool(bad)) for refused, bad in outcomes)
    return Confusion(
        tp=counts[True, True], fp=counts[True, False], fn=counts[False, True], tn=counts[False, False]
    )


def refusal_direction(decisions: Iterable[tuple[float, bool]]) -> str:
    """Whether a scored check refuses "below" or "above" its threshold, read from its own (score, passed)
    decisions: the side whose scores it refused. Checks differ (grounding refuses low scores, the
    similarity of `distinct` refuses high ones); "below" when its decisions do not tell."""
    passed = [s for s, ok in decisions if ok]
    refused = [s for s, ok in decisions if not ok]
    if passed and refused and sum(refused) / len(refused) > sum(passed) / len(passed):
        return "above"
    return "below"


@dataclass(frozen=True)
class ThresholdSuggestion:
    threshold: float  # refuse when score < threshold ("below") or score > threshold ("above")
    direction: str
    confusion: Confusion

    def to_json(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "direction": self.direction, **self.confusion.to_json()}


def best_threshold(scored: Sequence[tuple[float, bool]], direction: str) -> ThresholdSuggestion | None:
    """The threshold that maximises F1 (refusal predicts "bad") on (score, bad) pairs.

    Candidates are the midpoints between consecutive distinct scores, so each splits the labelled set
    differently; a tie keeps the one refusing fewer records. None when there is nothing to fit: fewer than
    two distinct scores, or no record labelled bad.
    """
    if direction not in ("below", "above"):
        raise ValueError(f"direction {direction!r}: below or above")
    values = sorted({s for s, _ in scored})
    if len(values) < 2 or not any(bad for _, bad in scored):
        return None
    best: tuple[float, int, ThresholdSuggestion] | None = None
    for low, high in zip(values, values[1:], strict=False):
        t = (low + high) / 2
        refuses = (lambda s, t=t: s < t) if direction == "below" else (lambda s, t=t: s > t)
        result = confusion((refuses(s), bad) for s, bad in scored)
        key = (result.f1 or 0.0, -(result.tp + result.fp))
        if best is None or key > best[:2]:
            best = (*key, ThresholdSuggestion(round(t, 6), direction, result))
    return best[2] if best else None


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' verdicts on the same items; None when it is undefined (no items, or
    chance agreement is already total: both raters gave one and the same verdict to everything)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[v] * second[v] for v in set(first) | set(second)) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def pooled_kappa(labels: Iterable[tuple[str, str, str]]) -> dict[str, Any]:
    """From (instruction, reviewer, verdict) rows: one kappa over every item two reviewers labelled (the
    first two by reviewer name), whoever they were. Many reviewers sharing a few items each give pairs of
    one or two items, whose kappa says nothing; pooled, the items measure the labels' agreement."""
    by_item: dict[str, dict[str, str]] = {}
    for instruction, reviewer, verdict in labels:
        by_item.setdefault(instruction, {})[reviewer] = verdict
    firsts = [[v for _, v in sorted(given.items())[:2]] for given in by_item.values() if len(given) > 1]
    pairs = [(a, b) for a, b in firsts]
    n = len(pairs)
    agreement = sum(a == b for a, b in pairs) / n if n else None
    return {"n": n, "agreement": agreement, "kappa": cohen_kappa(pairs)}


def pairwise_kappa(labels: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """From (instruction, reviewer, verdict) rows: kappa for every pair of reviewers with shared items."""
    by_reviewer: dict[str, dict[str, str]] = {}
    for instruction, reviewer, verdict in labels:
        by_reviewer.setdefault(reviewer, {})[instruction] = verdict
    out = []
    reviewers = sorted(by_reviewer)
    for i, a in enumerate(reviewers):
        for b in reviewers[i + 1 :]:
            shared = sorted(set(by_reviewer[a]) & set(by_reviewer[b]))
            if not shared:
                continue
            pairs = [(by_reviewer[a][x], by_reviewer[b][x]) for x in shared]
            out.append(
                {
                    "reviewers": [a, b],
                    "n": len(pairs),
                    "agreement": sum(x == y for x, y in pairs) / len(pairs),
                    "kappa": cohen_kappa(pairs),
                }
            )
    return out
