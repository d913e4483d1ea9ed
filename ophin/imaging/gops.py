"""Scene cuts from the cheap streams: the packets' sizes (read without decoding) and the keyframes (decoded
alone, about a tenth of a full decode), with a full decode of only the keyframe intervals (GOPs) that need it.

An encoder codes a picture it cannot predict from the one before (a cut) almost as a keyframe: either it
places a keyframe there (x264's scene-cut detection) or the predicted packet balloons to a sizeable share
of one. So, per GOP, from its packets alone:
- still: nearly all its predicted packets are tiny next to its keyframe (slides measured <= 0.3 %, slowly
  roaming 720p fundus footage 3-8 %): the picture holds until the next keyframe, so if that one shows
  something else, the cut is exactly there;
- spike: a predicted packet far above its neighbours and a good share of the keyframe: a cut may fall
  inside, so the GOP is decoded in full and ffmpeg's own scene score times it to the frame;
- otherwise the footage moves. Its drift boundaries are placed at keyframes by the drift segmentation
  (spans.py); it is decoded in full only when it is longer than MAX_SPARSE_GOP_S, or when its closing
  keyframe scores a cut against its opening one (a cut to a flat card is cheap to code: no spike).
A decoded GOP that holds no cut costs its decode, never a wrong boundary: the decoded frames decide.
"""

from __future__ import annotations

import bisect
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from statistics import median

import numpy as np

from ophin.imaging.spans import detail, detail_jump, distance, reduced

Frames = Iterable[tuple[float, np.ndarray]]  # (t_s, small planar YUV 4:2:0 picture), as media.small_frames
ScoredFrames = Iterable[tuple[float, np.ndarray, float]]  # ... with ffmpeg's scene score, media.scored_frames


def luma(picture: np.ndarray) -> np.ndarray:
    """The grey (Y) plane of a planar YUV 4:2:0 picture stored as 1.5 x height rows."""
    return picture[: picture.shape[0] * 2 // 3]


SPIKE_RATIO = 2.0  # a predicted packet this many times the median of its neighbours...
SPIKE_KEY_FRACTION = 0.3  # ...and at least this share of its GOP's keyframe looks intra-coded
SPIKE_WINDOW = 12  # neighbours each side
STILL_RATIO = 0.02  # 9 in 10 predicted packets under this share of the keyframe: the picture holds
MAX_SPARSE_GOP_S = 10.0  # moving footage with keyframes further apart is decoded in full for its drift


@dataclass(frozen=True)
class Gop:
    start_s: float
    end_s: float
    still: bool
    spike: bool

    @property
    def refine(self) -> bool:
        """Decode this GOP in full: a cut may hide inside, or keyframes alone are too sparse for its drift."""
        return self.spike or (not self.still and self.end_s - self.start_s > MAX_SPARSE_GOP_S)


def gops(times: Iterable[float], sizes: Iterable[int], keys: Iterable[int], duration_s: float) -> list[Gop]:
    """The GOPs of a video from its packets in presentation order (time, size, keyframe flag)."""
    t, size, key = list(times), list(sizes), list(keys)
    starts = [i for i, k in enumerate(key) if k]
    spikes = set(_spikes(size, key))
    out = []
    for n, first in enumerate(starts):
        last = starts[n + 1] if n + 1 < len(starts) else len(t)
        predicted = size[first + 1 : last]
        end = t[last] if last < len(t) else max(duration_s, t[-1])
        still = not predicted or float(np.percentile(predicted, 90)) < STILL_RATIO * max(size[first], 1)
        out.append(Gop(t[first], end, still, any(i in spikes for i in range(first + 1, last))))
    return out


def _spikes(size: list[int], key: list[int]) -> Iterator[int]:
    """Indices of predicted packets that look like a cut (see the module docstring)."""
    key_size = 0
    for i, s in enumerate(size):
        if key[i]:
            key_size = s
            continue
        if not key_size or s < SPIKE_KEY_FRACTION * key_size:
            continue
        lo, hi = max(0, i - SPIKE_WINDOW), min(len(size), i + SPIKE_WINDOW + 1)
        near = [size[j] for j in range(lo, hi) if j != i and not key[j]]
        if near and s > SPIKE_RATIO * median(near):
            yield i


class GopIndex:
    """The GOP a decoded keyframe starts, by bisection over the GOPs' start times. Containment, not
    equality: the demuxer may list the first keyframe before 0 (an edit list) that decodes at 0."""

    def __init__(self, all_gops: list[Gop]) -> None:
        self.gops, self.starts = all_gops, [g.start_s for g in all_gops]

    def at(self, t_s: float) -> Gop | None:
        i = bisect.bisect_right(self.starts, t_s + 2e-3) - 1
        return self.gops[i] if i >= 0 and t_s < self.gops[i].end_s else None


def difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two small planar YUV pictures over every plane, 0-1: ffmpeg's scene
    score of b after a when the picture before a held still (a cut between two equally bright scenes of
    other colours still counts). Downscaled pictures understate it for fine texture (an OCT scan after a
    fundus photograph: 0.24 here, 0.77 at full resolution), so it only decides what to look at closer."""
    return float(np.abs(b.astype(np.int16) - a.astype(np.int16)).mean()) / 256.0


class SampleLog:
    """The drift segmentation's (t, grey) samples, spooled to a temporary file as the cut search decodes
    them and read back once, in order: no second decode, and memory does not grow with the video."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._shape: tuple[int, ...] | None = None
        self.count = 0

    def append(self, t_s: float, grey: np.ndarray) -> None:
        self._shape = self._shape or grey.shape
        self._file.write(struct.pack("<d", t_s) + np.ascontiguousarray(grey, np.uint8).tobytes())
        self.count += 1

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        if self._shape is None:
            return
        size = int(np.prod(self._shape))
        self._file.seek(0)
        for _ in range(self.count):
            record = self._file.read(8 + size)
            yield struct.unpack("<d", record[:8])[0], np.frombuffer(record[8:], np.uint8).reshape(self._shape)

    def close(self) -> None:
        self._file.close()


def find_cuts(
    keyframes: Frames,
    index: GopIndex,
    decode: Callable[[Gop], ScoredFrames],
    threshold: float,
    change_threshold: float,
    *,
    sample_fps: float,
    log: SampleLog | None = None,
) -> list[float]:
    """Cut times, from the keyframes in order and a full decode (decode(gop): its every frame and the
    keyframe closing it, each with ffmpeg's scene score) of:
    - each GOP that refines (a packet spike, or too long for its drift), before reading on;
    - a moving GOP whose closing keyframe scores a cut against its opening one: the cut is somewhere
      inside, found after the fact.
    A keyframe that ends a still GOP and shows other content is a cut without any decoding.

    log, when given, gets the drift segmentation's samples in time order: each keyframe, or, inside a
    decoded GOP, the first frame at or after each point of a sample_fps grid from its start.
    """
    return _CutSearch(index, decode, threshold, change_threshold, sample_fps, log).run(keyframes)


class _CutSearch:
    def __init__(
        self,
        index: GopIndex,
        decode: Callable[[Gop], ScoredFrames],
        threshold: float,
        change_threshold: float,
        sample_fps: float,
        log: SampleLog | None,
    ) -> None:
        self.index, self.decode, self.log = index, decode, log
        self.threshold, self.change_threshold, self.fps = threshold, change_threshold, sample_fps
        self.cuts: list[float] = []

    def run(self, keyframes: Frames) -> list[float]:
        gop: Gop | None = None  # the GOP the current keyframe closes, with its opening picture
        opening: np.ndarray | None = None
        scanned = False  # that GOP was decoded: the scan scored the current keyframe too
        for t, picture in keyframes:
            if opening is not None and gop is not None and not scanned:
                if gop.still and self._changed(opening, picture):
                    self.cuts.append(t)
                elif not gop.still and difference(opening, picture) >= self.threshold:
                    self._scan(gop)  # the cut is inside: time it
            gop, opening, scanned = self.index.at(t), picture, False
            if self.log is not None:
                self.log.append(t, luma(picture))
            if gop is not None and gop.refine:
                self._scan(gop)
                scanned = True
        return sorted(set(self.cuts))

    def _changed(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Two keyframes around a still GOP show other content: a scene-score jump, a coarse change, or
        (two photographs of one kind back to back) fine structure that no longer correlates."""
        return (
            difference(a, b) >= self.threshold
            or distance(reduced(luma(a)), reduced(luma(b))) > self.change_threshold
            or detail_jump(detail(luma(a)), detail(luma(b)))
        )

    def _scan(self, gop: Gop) -> None:
        """Decode the GOP and the keyframe closing it: a cut wherever ffmpeg's scene score (full resolution,
        as in decode=full) reaches the threshold; grid samples to the log, between its opening keyframe
        and the closing one (the keyframe pass logs both)."""
        start: float | None = None
        grid = 1
        for frame_t, frame, score in self.decode(gop):
            start = frame_t if start is None else start
            if frame_t <= start + 1e-3:
                continue
            if score >= self.threshold:
                self.cuts.append(frame_t)
            if (
                self.log is not None
                and frame_t < gop.end_s - 1e-3
                and frame_t >= start + grid / self.fps - 1e-3
            ):
                self.log.append(frame_t, luma(frame))
                grid = int((frame_t - start) * self.fps + 1e-6) + 1
