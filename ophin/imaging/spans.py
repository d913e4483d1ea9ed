"""Visual-change segmentation of continuous footage, and the stable sample of each span (pure numpy).

Scene cuts (ffmpeg's scene score) split edited video and slides; a surgical video that pans and zooms for
minutes has none. Here low-resolution grey samples are compared with the span's anchor (its first sample):
once the content has drifted from it beyond a threshold and stays drifted, a new span begins ("change");
a span never outgrows max_clip_s ("max"). Each span's keyframe is its sharpest sample where the content
holds still for a few seconds (the Quilt-1M recipe for narrated video), else its sharpest or median one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

SETTLE_S = 0.5  # never pick a sample this close after a span's start: fades and encoder smear
_FLAT = 1e-3  # grey variance below this is a blank picture: correlation says nothing there


@dataclass(frozen=True)
class SpanParams:
    change_threshold: float = 0.25  # 1 - correlation with the anchor beyond which the content has changed
    hold_s: float = 2.0  # the drift must last this long: a hand or an instrument passing is no change
    still_threshold: float = 0.01  # 1 - correlation of consecutive samples below which the content holds
    settle_s: float = 2.0  # a part that holds this long is where the keyframe is picked ("settle")
    min_clip_s: float = 4.0  # change and max boundaries leave clips at least this long
    max_clip_s: float = 60.0  # no clip is longer (a slide shown for minutes is cut; dedup joins its frames)
    sharpest_margin: float = 1.2  # outside a held part, the sharpest sample must beat the median by this


@dataclass(frozen=True)
class Span:
    start_s: float
    end_s: float
    boundary: str  # what starts it: start | cut | change | max
    frame_t_s: float | None  # the chosen sample's time; None when no sample fell inside (a still picture)
    selection: str | None  # settle | sharpest | median


@dataclass
class _Open:
    start_s: float
    boundary: str
    anchor: np.ndarray | None = None
    settled: bool = False  # the anchor is a picture that held still (not one caught mid-motion)
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (t, step, sharpness)


def reduced(grey: np.ndarray, block: int = 4) -> np.ndarray:
    """Block means: 160x90 becomes 40x22, so sensor noise and compression grain average out."""
    h, w = (grey.shape[0] // block) * block, (grey.shape[1] // block) * block
    small = grey[:h, :w].astype(np.float32)
    return small.reshape(h // block, block, w // block, block).mean(axis=(1, 3))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 - Pearson correlation of two reduced pictures: 0 for the same content whatever its brightness,
    about 0.07 for a 15% zoom on a fundus, near 1 for a different region; two blank pictures are 0 apart,
    a blank and a textured one 1."""
    a, b = a - a.mean(), b - b.mean()
    va, vb = float((a * a).mean()), float((b * b).mean())
    if va < _FLAT or vb < _FLAT:
        return 0.0 if va < _FLAT and vb < _FLAT else 1.0
    return max(0.0, 1.0 - float((a * b).mean()) / float(np.sqrt(va * vb)))


DETAIL_JUMP = 0.6  # 1 - correlation of two held pictures' fine detail beyond which they are two images
_DETAIL_FLOOR = 4.0  # detail variance (grey levels^2) below which a picture has no detail to compare


def detail(grey: np.ndarray) -> np.ndarray:
    """The picture's fine structure (vessels, lesions, edges): 2x2 block means less their 8x8 block means.
    Two photographs of one kind (two fundi: a round orange field on black) correlate closely in block
    means, so distance() sees no cut between them; their vessels do not correlate at all."""
    fine = reduced(grey, 2)
    h, w = (fine.shape[0] // 4) * 4, (fine.shape[1] // 4) * 4
    fine = fine[:h, :w]
    coarse = np.kron(reduced(fine, 4), np.ones((4, 4), np.float32))
    return fine - coarse


def detail_jump(a: np.ndarray, b: np.ndarray) -> bool:
    """Two pictures (detail() of each) show different images: their fine structure does not correlate.
    Only for pictures that each hold still: the detail of moving footage decorrelates with any shift."""
    if a.shape != b.shape or a.var() < _DETAIL_FLOOR or b.var() < _DETAIL_FLOOR:
        return False
    return distance(a, b) > DETAIL_JUMP


def sharpness(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: high for crisp edges, low for motion or focus blur."""
    g = grey.astype(np.float32)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1]
    return float(lap.var()) if lap.size else 0.0


def choose_sample(
    samples: list[tuple[float, float, float]], start_s: float, end_s: float, params: SpanParams
) -> tuple[float | None, str | None]:
    """(time, how) of the span's keyframe from its (t, step to the previous sample, sharpness) samples."""
    earliest = start_s + min(SETTLE_S, (end_s - start_s) / 2)
    usable = [s for s in samples if s[0] >= earliest - 1e-6]
    if not usable:  # only the picture at the boundary (a keyframe at a cut): the caller settles past it
        return None, None
    held: list[tuple[float, float, float]] = []
    run: list[tuple[float, float, float]] = []
    period = usable[1][0] - usable[0][0] if len(usable) > 1 else 0.0
    for sample in [*usable, (float("inf"), float("inf"), 0.0)]:  # a sentinel closes the last run
        if sample[1] <= params.still_threshold:
            run.append(sample)
            continue
        if run and run[-1][0] - run[0][0] + period >= params.settle_s:
            held.extend(run)
        run = [sample] if sample[0] != float("inf") else []
    if held:
        return _sharpest(held)[0], "settle"
    best = _sharpest(usable)
    if best[2] > params.sharpest_margin * float(np.median([s[2] for s in usable])):
        return best[0], "sharpest"
    return usable[(len(usable) - 1) // 2][0], "median"


def _sharpest(samples: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    top = max(s[2] for s in samples)
    return next(s for s in samples if s[2] >= top * 0.99)  # ties go to the earliest: the settled slide


def segment(
    frames: Iterable[tuple[float, np.ndarray]],
    cut_spans: list[tuple[float, float]],
    params: SpanParams,
) -> list[Span]:
    """Split each cut span [start, end) further where the footage drifts; one chosen sample per span.

    frames are (t_s, grey picture) in time order, consumed once (a stream: only the anchor and the
    pictures of a drift still being confirmed are held). cut_spans cover the video; the first starts
    "start", the others "cut".
    """
    return _Segmenter(cut_spans, params).run(frames)


@dataclass
class _Closed:
    start_s: float
    end_s: float
    boundary: str
    samples: list[tuple[float, float, float]]


class _Segmenter:
    def __init__(self, cut_spans: list[tuple[float, float]], params: SpanParams) -> None:
        self.bounds, self.params = list(cut_spans), params
        self.closed: list[_Closed] = []
        self.index = 0
        self.current = _Open(self.bounds[0][0], "start")
        self.prev: np.ndarray | None = None
        self.prev_t: float | None = None
        self.dense = True  # samples closer than hold_s: a step says whether the picture holds
        self.pending: list[tuple[float, np.ndarray, float, float]] = []  # a drift being confirmed
        # The fine detail of the last sample that held still, the time of the first sample after it, and
        # how many samples have not held since.
        self.held: tuple[np.ndarray, float | None, int] | None = None
        self.switch: tuple[float, np.ndarray] | None = None  # a detail jump (when, detail before) holding

    def run(self, frames: Iterable[tuple[float, np.ndarray]]) -> list[Span]:
        for t, grey in frames:
            while self.index + 1 < len(self.bounds) and t >= self.bounds[self.index + 1][0] - 1e-6:
                self._close(self.bounds[self.index][1])
                self.index += 1
                self.current, self.prev = _Open(self.bounds[self.index][0], "cut"), None
                self.held, self.switch = None, None
            small = reduced(grey)
            step = 1.0 if self.prev is None else distance(small, self.prev)  # a span's first never holds
            self.dense = self.prev_t is None or t - self.prev_t <= self.params.hold_s
            self.prev, self.prev_t = small, t
            self._detail_cut(t, grey, step)
            self._feed((t, small, step, sharpness(grey)))
        self._close(self.bounds[self.index][1])
        for start, end in self.bounds[self.index + 1 :]:  # cut spans past the last frame (a still picture)
            self.current = _Open(start, "cut")
            self._close(end)
        spans = []
        for c in self.closed:
            t, how = choose_sample(c.samples, c.start_s, c.end_s, self.params)
            spans.append(Span(round(c.start_s, 3), round(c.end_s, 3), c.boundary, t, how))
        return spans

    def _detail_cut(self, t: float, grey: np.ndarray, step: float) -> None:
        """Two photographs of one kind back to back (two fundi): block means alike, so neither a scene
        score nor the drift sees a cut, but the fine detail of the picture held before and the one held
        after no longer correlates (gops' keyframe rule, here between consecutive held samples). Only an
        immediate switch counts (at most one sample caught between the two pictures): across a pan or a
        zoom the detail decorrelates too, and that is the drift rule's business. The new span starts at
        the first sample after the one that held, once the new picture has lasted hold_s (a passing hand
        that comes back is no cut)."""
        if step > self.params.still_threshold or not self.dense:
            if self.held is not None:
                self.held = (self.held[0], self.held[1] if self.held[1] is not None else t, self.held[2] + 1)
            return
        fine = detail(grey)
        if self.switch is not None:
            at, before = self.switch
            if not detail_jump(before, fine):  # it came back: a hand or an instrument passed
                self.switch = None
            elif t - at >= self.params.hold_s - 1e-6:
                self.switch = None
                self._split(at)
        elif self.held is not None and self.held[2] <= 1 and detail_jump(self.held[0], fine):
            self.switch = (self.held[1] if self.held[1] is not None else t, self.held[0])
        self.held = (fine, None, 0)

    def _split(self, at: float) -> None:
        """Close the open span at `at` and open a "change" span there with the samples from `at` on."""
        current = self.current
        if at <= current.start_s + 1e-6:
            return  # the drift rule already started a span there
        current.samples.extend((q[0], q[2], q[3]) for q in self.pending)
        self.pending = []
        after = [q for q in current.samples if q[0] >= at - 1e-6]
        current.samples = [q for q in current.samples if q[0] < at - 1e-6]
        self._close(at)
        self.current = _Open(at, "change", samples=[(q[0], 1.0 if i == 0 else q[1], q[2])
                                                    for i, q in enumerate(after)])  # fmt: skip

    def _feed(self, sample: tuple[float, np.ndarray, float, float]) -> None:
        t, small, step, sharp = sample
        p, current = self.params, self.current
        if current.anchor is None or (self.dense and not current.settled and step <= p.still_threshold):
            # Until the picture first holds still, the latest picture is the reference: a pan still under
            # way at a boundary measures its drift from where it comes to rest, not from its middle. Sparse
            # samples (keyframes seconds apart) keep the span's first: two alike say nothing of the start.
            current.anchor, current.settled = small, step <= p.still_threshold
        if t - current.start_s >= p.max_clip_s:
            self._close(t)
            self.current = _Open(t, "max", anchor=small, samples=[(t, 1.0, sharp)])
            return
        old_enough = t - current.start_s >= p.min_clip_s
        if not (old_enough and distance(small, current.anchor) > p.change_threshold):
            current.samples.extend((q[0], q[2], q[3]) for q in self.pending)  # it came back: no change
            current.samples.append((t, step, sharp))
            self.pending = []
            return
        self.pending.append(sample)
        if t - self.pending[0][0] < p.hold_s:
            return
        # The drift held: the new span starts where it began, anchored on the latest picture until the
        # picture holds still.
        drift, self.pending = self.pending, []
        self._close(drift[0][0])
        self.current = _Open(drift[0][0], "change", anchor=small)
        self.current.samples = [(q[0], 1.0 if i == 0 else q[2], q[3]) for i, q in enumerate(drift)]

    def _close(self, end_s: float) -> None:
        """Finish the open span; a change/max span cut short (under min_clip_s) by the next cut or the
        video's end joins the span before it."""
        current = self.current
        current.samples.extend((q[0], q[2], q[3]) for q in self.pending)
        self.pending = []
        last = self.closed[-1] if self.closed else None
        if (
            last is not None
            and current.boundary in ("change", "max")
            and end_s - current.start_s < self.params.min_clip_s
            and abs(last.end_s - current.start_s) < 1e-6
        ):
            last.end_s = end_s
            last.samples.extend(current.samples)
            return
        self.closed.append(_Closed(current.start_s, end_s, current.boundary, current.samples))
