"""Pure measures of segmentation, frame choice, pairing and transcription against sample-corpus ground truth.

Each takes plain numbers and strings (what the report read from the database, what ground_truth.json says)
so it can be fed the bad case directly: a missed boundary, a spurious one, a finding span without a frame,
two findings merged into one pair, a misheard word.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jiwer

from eval.quality.vocab import fold


@dataclass(frozen=True)
class BoundaryScore:
    """How predicted clip boundaries match true scene/span boundaries, one to one within a tolerance."""

    precision: float
    recall: float
    matched: int
    predicted: int
    true: int


def match_boundaries(predicted: Sequence[float], true: Sequence[float], tolerance_s: float) -> BoundaryScore:
    """Greedy one-to-one matching in time order: each true boundary takes the nearest unmatched prediction
    within ``tolerance_s``.  With nothing to predict, precision is 1 only if nothing was predicted; with
    nothing predicted, recall is 1 only if there was nothing to find."""
    free = sorted(predicted)
    matched = 0
    for t in sorted(true):
        near = [(abs(p - t), i) for i, p in enumerate(free) if abs(p - t) <= tolerance_s]
        if near:
            free.pop(min(near)[1])
            matched += 1
    precision = matched / len(predicted) if predicted else float(not true)
    recall = matched / len(true) if true else float(not predicted)
    return BoundaryScore(round(precision, 4), round(recall, 4), matched, len(predicted), len(true))


def frames_per_minute(n_frames: int, duration_s: float) -> float:
    """Kept frames per minute of video (0 for a video of no length)."""
    return round(60.0 * n_frames / duration_s, 3) if duration_s > 0 else 0.0


@dataclass(frozen=True)
class Coverage:
    covered: int
    total: int
    missed: tuple[int, ...]  # indexes of the spans no frame fell in

    @property
    def share(self) -> float:
        return round(self.covered / self.total, 4) if self.total else 1.0


def span_coverage(frame_times: Iterable[float], spans: Sequence[tuple[float, float]]) -> Coverage:
    """Spans (start_s, end_s) holding at least one kept frame's time, out of all spans."""
    times = sorted(frame_times)
    missed = tuple(i for i, (a, b) in enumerate(spans) if not any(a <= t <= b for t in times))
    return Coverage(len(spans) - len(missed), len(spans), missed)


@dataclass(frozen=True)
class PairWindow:
    """A stored pair: the narration window it holds and the time of its frame."""

    start_s: float
    end_s: float
    frame_t_s: float


@dataclass(frozen=True)
class TimedSentence:
    """A ground-truth sentence and the finding it is about (None for an intro or aside)."""

    finding: str | None
    start_s: float
    end_s: float

    @property
    def mid_s(self) -> float:
        return (self.start_s + self.end_s) / 2


@dataclass(frozen=True)
class Pairing:
    paired: float  # share of findings whose every sentence lies in a pair with a frame of the finding's span
    separate: float  # share of findings whose pairs hold no other finding's sentence
    unpaired: tuple[str, ...]
    merged: tuple[str, ...]


def long_slide_pairing(
    pairs: Sequence[PairWindow],
    sentences: Sequence[TimedSentence],
    frame_windows: dict[str, tuple[float, float]],
) -> Pairing:
    """Whether each finding of a long slide gets its sentences into pairs, and pairs of its own.

    A sentence lies in a pair when its midpoint falls in the pair's window (ASR times drift by a few
    hundredths, midpoints do not leave the window).  ``frame_windows`` says, per finding, where a frame that
    shows it may come from: on a static slide every frame of the slide shows every finding, so the report
    passes the whole slide; a stricter caller passes the finding's own span.
    """
    holders: dict[str, list[int]] = defaultdict(list)
    findings_in_pair: dict[int, set[str]] = defaultdict(set)
    lost: set[str] = set()
    for sentence in sentences:
        if sentence.finding is None:
            continue
        lo, hi = frame_windows[sentence.finding]
        inside = [
            i
            for i, p in enumerate(pairs)
            if p.start_s <= sentence.mid_s <= p.end_s and lo <= p.frame_t_s <= hi
        ]
        if not inside:
            lost.add(sentence.finding)
        for i in inside:
            holders[sentence.finding].append(i)
            findings_in_pair[i].add(sentence.finding)
    findings = list(dict.fromkeys(s.finding for s in sentences if s.finding is not None))
    unpaired = tuple(f for f in findings if f in lost)
    merged = tuple(f for f in findings if any(len(findings_in_pair[i]) > 1 for i in holders[f]))
    n = max(len(findings), 1)
    separate = [f for f in findings if f not in merged and f not in lost]
    return Pairing(round(1 - len(unpaired) / n, 4), round(len(separate) / n, 4), unpaired, merged)


_WORD = re.compile(r"[a-z0-9']+")


def words_of(text: str) -> list[str]:
    """Lowercased words with British spellings folded, hyphens and punctuation dropped."""
    return _WORD.findall(fold(text).strip().replace("-", " "))


def word_edits(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance in words (substitutions, insertions, deletions), by jiwer."""
    if not reference or not hypothesis:
        return max(len(reference), len(hypothesis))
    out = jiwer.process_words(" ".join(reference), " ".join(hypothesis))
    return out.substitutions + out.deletions + out.insertions


@dataclass(frozen=True)
class WordErrors:
    edits: int
    reference_words: int

    @property
    def rate(self) -> float:
        return round(self.edits / self.reference_words, 4) if self.reference_words else 0.0


def word_error_rate(reference: str, hypothesis: str) -> WordErrors:
    """Word edits of a transcript against what was said (numbers compared as written: "22" is not
    "twenty two", so a transcript that writes digits pays for it; the figure is for comparing backends)."""
    ref = words_of(reference)
    return WordErrors(word_edits(ref, words_of(hypothesis)), len(ref))


def pooled(errors: Iterable[WordErrors]) -> WordErrors:
    """Several videos' word errors as one corpus-level figure (edits over all reference words)."""
    items = list(errors)
    return WordErrors(sum(e.edits for e in items), sum(e.reference_words for e in items))


def real_time_factors(
    runs: Iterable[tuple[str, str, float]], video_durations: dict[str, float]
) -> dict[str, float]:
    """Per stage: seconds spent over seconds of video, for (stage, video, duration_s) runs of videos whose
    duration is known.  Each (stage, video) counts once (the caller passes the latest successful run)."""
    spent: dict[str, float] = defaultdict(float)
    watched: dict[str, float] = defaultdict(float)
    seen: set[tuple[str, str]] = set()
    for stage, video, duration_s in runs:
        length = video_durations.get(video)
        if not length or (stage, video) in seen:
            continue
        seen.add((stage, video))
        spent[stage] += duration_s
        watched[stage] += length
    return {stage: round(spent[stage] / watched[stage], 4) for stage in sorted(spent)}
