"""GOPs from packet sizes, and the cut search over keyframes and decoded GOPs (numpy pictures, no ffmpeg)."""

from __future__ import annotations

import numpy as np

from ophin.imaging.gops import Gop, GopIndex, SampleLog, difference, find_cuts, gops, luma

H, W = 18, 32  # a small planar YUV 4:2:0 picture: H luma rows, then H/2 rows holding U and V


def picture(level: int, pattern: int = 0) -> np.ndarray:
    rng = np.random.default_rng(pattern)
    y = np.clip(level + rng.integers(-40, 40, (H, W)), 0, 255).astype(np.uint8)
    return np.vstack([y, np.full((H // 2, W), 128, np.uint8)])


def packets(gop_sizes: list[list[int]], fps: float = 10.0) -> tuple[list[float], list[int], list[int]]:
    """Packets of consecutive GOPs, each [keyframe size, predicted sizes...], at fps."""
    sizes = [s for g in gop_sizes for s in g]
    keys = [int(i == 0) for g in gop_sizes for i in range(len(g))]
    return [i / fps for i in range(len(sizes))], sizes, keys


def test_gops_tell_still_moving_and_spiking_stretches_apart() -> None:
    still = [20000] + [40] * 49  # a slide: predicted packets ~0.2 % of the keyframe
    moving = [20000] + [1500] * 49  # a pan: 7.5 %
    spiking = [20000] + [1500] * 20 + [12000] + [1500] * 28  # a cut inside: one packet 8x its neighbours
    faint = [20000] + [40] * 20 + [400] + [40] * 28  # 10x its neighbours, but 2 % of a keyframe: no picture
    found = gops(*packets([still, moving, spiking, faint]), duration_s=20.5)
    assert [(g.start_s, g.still, g.spike) for g in found] == [
        (0.0, True, False),
        (5.0, False, False),
        (10.0, False, True),
        (15.0, True, False),
    ]
    assert found[-1].end_s == 20.5 and found[0].end_s == 5.0
    assert [g.refine for g in found] == [False, False, True, False]
    # Moving footage with keyframes further apart than MAX_SPARSE_GOP_S is decoded for its drift.
    assert gops(*packets([moving * 3]), duration_s=15.0)[0].refine


def test_gop_index_finds_the_gop_a_keyframe_starts_even_before_zero() -> None:
    index = GopIndex([Gop(-0.2, 8.6, True, False), Gop(8.6, 20.0, True, False)])
    assert index.at(0.0).start_s == -0.2 and index.at(8.6).start_s == 8.6
    assert index.at(25.0) is None


def test_difference_counts_every_plane() -> None:
    a, b = picture(60), picture(200, 1)
    assert difference(a, b) > 0.3 and difference(a, a.copy()) == 0.0
    tinted = a.copy()
    tinted[H:] = 250  # same brightness, other hues
    assert difference(luma(a), luma(tinted)) == 0.0 and difference(a, tinted) > 0.15


def scored(frames: list[tuple[float, np.ndarray]], cuts: set[float]) -> list[tuple[float, np.ndarray, float]]:
    """Decoded frames as media.scored_frames gives them: ffmpeg's score is high at the cuts only."""
    return [(t, p, 0.9 if t in cuts else 0.01) for t, p in frames]


def _decoder(frames: dict[float, list[tuple[float, np.ndarray]]]):  # noqa: ANN202
    calls: list[float] = []

    def decode(gop: Gop) -> list[tuple[float, np.ndarray]]:
        calls.append(gop.start_s)
        return frames[gop.start_s]

    return decode, calls


def test_a_keyframe_ending_a_still_gop_with_other_content_is_a_cut() -> None:
    index = GopIndex([Gop(0.0, 5.0, True, False), Gop(5.0, 10.0, True, False), Gop(10.0, 15.0, True, False)])
    keyframes = [(0.0, picture(60)), (5.0, picture(60)), (10.0, picture(200, 1))]
    decode, calls = _decoder({})
    assert find_cuts(keyframes, index, decode, 0.3, 0.25, sample_fps=4) == [10.0]
    assert calls == []  # nothing decoded beyond the keyframes


def test_a_moving_gop_is_decoded_only_when_its_keyframes_score_a_cut() -> None:
    index = GopIndex([Gop(0.0, 2.0, False, False), Gop(2.0, 4.0, False, False), Gop(4.0, 6.0, False, False)])
    card = [(i / 10, picture(60)) for i in range(12)] + [(i / 10, picture(200, 1)) for i in range(12, 21)]
    keyframes = [(0.0, picture(60)), (2.0, picture(200, 1)), (4.0, picture(210, 1))]
    decode, calls = _decoder({0.0: scored(card, {1.2})})
    # 0 -> 2 s scores a cut: that GOP is decoded after the fact and the cut timed; 2 -> 4 s is a drift.
    assert find_cuts(keyframes, index, decode, 0.3, 0.25, sample_fps=4) == [1.2]
    assert calls == [0.0]


def test_a_spiking_gop_is_decoded_and_its_cut_timed_to_the_frame() -> None:
    index = GopIndex([Gop(0.0, 2.0, False, True), Gop(2.0, 4.0, False, False)])
    first = [(i / 10, picture(60)) for i in range(13)] + [(i / 10, picture(200, 1)) for i in range(13, 21)]
    keyframes = [(0.0, first[0][1]), (2.0, picture(200, 1))]
    decode, calls = _decoder({0.0: scored(first, {1.3})})
    log = SampleLog()
    assert find_cuts(keyframes, index, decode, 0.3, 0.25, sample_fps=4, log=log) == [1.3]
    assert calls == [0.0]
    # The drift samples: a 4 fps grid over the decoded GOP, then the next keyframe; grey only.
    samples = list(log)
    assert [t for t, _ in samples] == [0.0, 0.3, 0.5, 0.8, 1.0, 1.3, 1.5, 1.8, 2.0]
    assert samples[0][1].shape == (H, W) and np.array_equal(samples[0][1], luma(first[0][1]))
    log.close()


def test_a_spike_that_is_no_cut_costs_a_decode_but_adds_no_boundary() -> None:
    index = GopIndex([Gop(0.0, 2.0, False, True)])
    drifting = [(i / 10, picture(60 + 4 * i)) for i in range(20)]  # brightening slowly, same pattern
    decode, calls = _decoder({0.0: scored(drifting, set())})
    assert find_cuts([(0.0, drifting[0][1])], index, decode, 0.3, 0.25, sample_fps=4) == []
    assert calls == [0.0]
