"""Drift segmentation and stable-sample choice over synthetic camera paths (numpy frames, no ffmpeg)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import cv2
import numpy as np
import pytest
from skimage.data import retina

from ophin.imaging.spans import Span, SpanParams, choose_sample, distance, reduced, segment

FPS = 4.0
GREY = cv2.cvtColor(retina(), cv2.COLOR_RGB2GRAY)


def camera(path: Callable[[float], tuple[float, float, float]], duration_s: float) -> Iterator:
    """(t, 160x90 grey) samples of a viewport (centre x, centre y, zoom) moving over the fundus."""
    ph, pw = GREY.shape
    for n in range(int(duration_s * FPS)):
        t = n / FPS
        cx, cy, zoom = path(t)
        h = ph / zoom
        w = h * 16 / 9
        x0 = min(max(cx * pw - w / 2, 0.0), pw - w)
        y0 = min(max(cy * ph - h / 2, 0.0), ph - h)
        s = 160 / w
        matrix = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]], dtype=np.float32)
        yield t, cv2.warpAffine(GREY, matrix, (160, 90), flags=cv2.INTER_AREA)


def _lerp(a: float, b: float, t: float, t0: float, t1: float) -> float:
    return a + (b - a) * min(max((t - t0) / (t1 - t0), 0.0), 1.0)


def tour(t: float) -> tuple[float, float, float]:
    """A 3x view: hold (slow zoom), pan across 15-18 s, hold, zoom in 2x across 33-36 s, hold."""
    return _lerp(0.35, 0.65, t, 15, 18), 0.5, _lerp(3.0, 3.3, t, 0, 15) + _lerp(0.0, 3.3, t, 33, 36)


def still(t: float) -> tuple[float, float, float]:
    return 0.4, 0.5, 3.0


def _boundaries(spans: list[Span]) -> list[tuple[str, float]]:
    return [(s.boundary, s.start_s) for s in spans]


def test_segment_finds_the_pan_and_the_zoom_in_continuous_footage() -> None:
    spans = segment(camera(tour, 50), [(0.0, 50.0)], SpanParams())
    kinds = [s.boundary for s in spans]
    assert kinds == ["start", "change", "change"], _boundaries(spans)
    assert 15.0 <= spans[1].start_s <= 18.0 and 33.0 <= spans[2].start_s <= 36.0
    assert spans[0].end_s == spans[1].start_s and spans[-1].end_s == 50.0
    # Each keyframe comes from where the picture holds: after the motion, inside its span.
    assert all(s.selection == "settle" for s in spans)
    assert spans[1].frame_t_s >= 18.0 and spans[2].frame_t_s >= 36.0


def test_segment_keeps_a_static_video_whole_and_cuts_still_split() -> None:
    assert _boundaries(segment(camera(still, 40), [(0.0, 40.0)], SpanParams())) == [("start", 0.0)]
    cut = segment(camera(still, 40), [(0.0, 12.0), (12.0, 40.0)], SpanParams())
    assert _boundaries(cut) == [("start", 0.0), ("cut", 12.0)]
    assert cut[1].frame_t_s == 12.5  # the settle offset after the cut, as keyframe_time does


def test_segment_respects_max_and_min_clip_lengths() -> None:
    capped = segment(camera(still, 60), [(0.0, 60.0)], SpanParams(max_clip_s=20.0))
    assert _boundaries(capped) == [("start", 0.0), ("max", 20.0), ("max", 40.0)]
    # A max span cut short by the video's end (under min_clip_s) joins the span before it.
    tail = segment(camera(still, 42), [(0.0, 42.0)], SpanParams(max_clip_s=20.0, min_clip_s=4.0))
    assert _boundaries(tail) == [("start", 0.0), ("max", 20.0)] and tail[-1].end_s == 42.0
    # The pan at 15 s comes before min_clip_s = 20 s: no clip is cut shorter than that.
    late = segment(camera(tour, 30), [(0.0, 30.0)], SpanParams(min_clip_s=20.0))
    assert [s.boundary for s in late] == ["start"]
    early = segment(camera(tour, 30), [(0.0, 30.0)], SpanParams(min_clip_s=4.0))
    assert [s.boundary for s in early] == ["start", "change"]


def passing_hand(t: float) -> tuple[float, float, float]:
    """The view jumps to the far side for 1.5 s (an instrument across the lens) and comes back."""
    return (0.7 if 10.0 <= t < 11.5 else 0.3), 0.5, 3.0


@pytest.mark.parametrize(
    ("params", "kinds"),
    [
        (SpanParams(), ["start", "change", "change"]),
        (SpanParams(change_threshold=0.99), ["start"]),  # nothing drifts that far
    ],
)
def test_change_threshold_moves_the_result(params: SpanParams, kinds: list[str]) -> None:
    assert [s.boundary for s in segment(camera(tour, 50), [(0.0, 50.0)], params)] == kinds


def test_hold_s_ignores_a_passing_occlusion_but_not_a_held_change() -> None:
    assert [s.boundary for s in segment(camera(passing_hand, 30), [(0.0, 30.0)], SpanParams())] == ["start"]
    short_hold = segment(camera(passing_hand, 30), [(0.0, 30.0)], SpanParams(hold_s=1.0))
    assert "change" in [s.boundary for s in short_hold]


def test_choose_sample_settles_then_falls_back_to_sharpest_then_median() -> None:
    p = SpanParams(settle_s=2.0, still_threshold=0.01)
    moving = [(i / 4, 0.05, 10.0 + (i % 3)) for i in range(40)]  # always moving, sharpness varies a little
    assert choose_sample(moving, 0.0, 10.0, p) == (5.0, "median")  # the middle of 0.5-9.75 s
    spike = [*moving[:20], (5.0, 0.05, 40.0), *moving[21:]]  # one crisp sample amid motion blur
    assert choose_sample(spike, 0.0, 10.0, p) == (5.0, "sharpest")
    assert choose_sample(spike, 0.0, 10.0, SpanParams(sharpest_margin=5.0))[1] == "median"
    held = [(t, 0.001 if 6.0 <= t <= 9.0 else s, sh) for t, s, sh in spike]
    t, how = choose_sample(held, 0.0, 10.0, p)
    assert how == "settle" and 5.75 <= t <= 9.0  # 5.75 s is the picture 6.0 s repeats
    # The held part must last settle_s: 3 s holds for 2 s, not for 4 s.
    assert choose_sample(held, 0.0, 10.0, SpanParams(settle_s=4.0))[1] == "sharpest"
    assert choose_sample(held, 0.0, 10.0, SpanParams(still_threshold=0.0001))[1] == "sharpest"
    assert choose_sample([], 0.0, 10.0, p) == (None, None)


def test_distance_ignores_brightness_and_handles_blank_pictures() -> None:
    a = reduced(GREY[:360, :640])
    assert distance(a, a * 0.5 + 30) < 1e-4
    blank = np.full_like(a, 128.0)
    assert distance(blank, blank + 5) == 0.0 and distance(blank, a) == 1.0
    assert distance(a, reduced(GREY[400:760, 500:1140])) > 0.25


def test_a_hard_cut_ffmpeg_missed_becomes_a_change_at_the_cut_itself() -> None:
    """Two regions of the same fundus look alike to a scene score; the drift starts at the jump."""
    jump = segment(camera(lambda t: ((0.7 if t >= 20.0 else 0.3), 0.5, 3.0), 40), [(0.0, 40.0)], SpanParams())
    assert _boundaries(jump) == [("start", 0.0), ("change", 20.0)]


def test_detail_jump_tells_two_fundi_apart_but_not_one_fundus_and_its_noisy_copy() -> None:
    import cv2

    from ophin.imaging.spans import detail, detail_jump
    from tests.fixtures.modality_dev.generate import fundus

    def grey(seed: int) -> np.ndarray:
        im = cv2.resize(fundus(np.random.default_rng(seed)), (160, 120), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(im, cv2.COLOR_BGR2GRAY)

    a, b = grey(1), grey(2)
    noisy = np.clip(a + np.random.default_rng(0).normal(0, 1.5, a.shape), 0, 255).astype(np.uint8)
    assert detail_jump(detail(a), detail(b))
    assert not detail_jump(detail(a), detail(noisy))
    flat = np.full_like(a, 128)
    assert not detail_jump(detail(flat), detail(flat))


def _two_fundi(seed_a: int, seed_b: int, switch_s: float, duration_s: float) -> Iterator:
    """decode=full's grid: one fundus photograph held, then another of the same kind, each with a little
    sensor noise on every sample (a re-encoded slide is never bit-identical)."""
    from tests.fixtures.modality_dev.generate import fundus

    def grey(seed: int) -> np.ndarray:
        im = cv2.resize(fundus(np.random.default_rng(seed)), (160, 90), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(im, cv2.COLOR_BGR2GRAY).astype(np.float32)

    a, b = grey(seed_a), grey(seed_b)
    noise = np.random.default_rng(0)
    for n in range(int(duration_s * FPS)):
        t = n / FPS
        pic = (b if t >= switch_s else a) + noise.normal(0, 0.8, a.shape)
        yield t, np.clip(pic, 0, 255).astype(np.uint8)


def test_segment_cuts_between_two_held_photographs_of_one_kind() -> None:
    """The block means of two fundi correlate (no drift), their vessels do not: a cut at the switch."""
    frames = list(_two_fundi(1, 2, 10.0, 20.0))
    a, b = reduced(frames[0][1]), reduced(frames[-1][1])
    assert distance(a, b) < SpanParams().change_threshold  # what the drift rule alone cannot see
    spans = segment(iter(frames), [(0.0, 20.0)], SpanParams())
    assert _boundaries(spans) == [("start", 0.0), ("change", 10.0)]
    assert spans[1].frame_t_s is not None and spans[1].frame_t_s >= 10.0


def test_segment_keeps_one_held_photograph_whole_despite_its_noise() -> None:
    spans = segment(_two_fundi(1, 1, 10.0, 20.0), [(0.0, 20.0)], SpanParams())
    assert _boundaries(spans) == [("start", 0.0)]
