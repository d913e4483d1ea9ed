"""decode=keyframes on real ffmpeg: packet sizes and keyframes read cheaply, a full decode of only the GOP
that hides a cut, and that cut timed to the frame."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from skimage.data import retina

from ophin.adapters.media import FfmpegMedia
from ophin.stages.keyframes import KeyframeParams, plan_spans
from tests.support.media import concat_videos, footage_video, still_picture_video


@pytest.fixture(scope="module")
def mid_gop_cut(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """15 s of a slow look over a fundus, then a hard cut to a black card for 10 s; libx264 ultrafast
    places no keyframe at the cut (keyframes at 0, 10, 20 s), so the cut falls inside a GOP."""
    root = tmp_path_factory.mktemp("midgop")
    camera = footage_video(root / "a.mp4", retina(), lambda t: (0.4 + 0.002 * t, 0.5, 3.0), 15.0)
    card = np.zeros((360, 640, 3), np.uint8)
    card[100:260, 200:440] = 255
    grey = footage_video(root / "b.mp4", card, lambda t: (0.5, 0.5, 1.0), 10.0)
    return concat_videos(root / "cut.mp4", camera, grey)


class CountingMedia(FfmpegMedia):
    """Notes each GOP decoded in full (scored_frames: start, duration)."""

    def __init__(self) -> None:
        self.decoded: list[tuple[float, float]] = []

    def scored_frames(self, path, width, start_s, duration_s, info=None):  # noqa: ANN001, ANN201
        self.decoded.append((round(start_s, 3), round(duration_s)))
        return super().scored_frames(path, width, start_s, duration_s, info)


def test_packets_and_keyframes_are_read_without_a_full_decode(mid_gop_cut: Path) -> None:
    media = FfmpegMedia()
    packets = media.packets(mid_gop_cut)
    keys = [t for t, k in zip(packets.t_s, packets.key, strict=True) if k]
    assert keys == [0.0, 10.0, 20.0] and len(packets) == 25 * 25
    frames = list(media.small_frames(mid_gop_cut, 160, keyframes_only=True))
    assert [t for t, _ in frames] == keys
    assert frames[0][1].shape == (135, 160)  # 90 luma rows + 45 rows of U and V
    got = media.keyframes_at(mid_gop_cut, [10.0, 12.5])
    assert list(got) == [10.0] and got[10.0].shape == (360, 640, 3)  # 12.5 is no keyframe: left out


def test_the_cut_inside_a_gop_is_found_by_decoding_that_gop_only(mid_gop_cut: Path) -> None:
    media = CountingMedia()
    info = media.probe(mid_gop_cut)
    spans = plan_spans(mid_gop_cut, info, KeyframeParams(), media)
    assert [s.boundary for s in spans] == ["start", "cut"], spans
    assert abs(spans[1].start_s - 15.0) < 0.05 and spans[1].end_s == pytest.approx(info.duration_s)
    # The GOP holding the cut is decoded; the card's still GOP after it is not. (The first GOP is too:
    # x264's first predicted packets spike; a false alarm costs a decode, never a boundary.)
    assert (10.0, 10.0) in media.decoded and all(start != 20.0 for start, _ in media.decoded)
    # The full analysis agrees on the cut.
    full = plan_spans(mid_gop_cut, info, replace(KeyframeParams(), decode="full"), FfmpegMedia())
    assert [s.start_s for s in full if s.boundary == "cut"] == pytest.approx([spans[1].start_s], abs=0.05)


def test_frames_at_batches_seeks_and_agrees_with_frame_at(mid_gop_cut: Path, tmp_path: Path) -> None:
    media = FfmpegMedia()
    times = [0.5, 12.25, 15.5, 24.9]
    got = media.frames_at(mid_gop_cut, times, batch=3)  # two ffmpeg runs
    assert sorted(got) == times
    for t in times:
        assert np.array_equal(got[t], media.frame_at(mid_gop_cut, t)), t
    # A still picture muxed with 3 s of tone: nothing decodes at 2 s, so it is frame_at's last frame.
    still = still_picture_video(tmp_path / "still.mp4", 3.0)
    assert media.frames_at(still, [2.0])[2.0].shape == media.frame_at(still, 0.0).shape


def test_keyframes_at_fetches_hundreds_of_times_in_one_run(tmp_path: Path) -> None:
    """A long video's chosen keyframes (132 for 20 minutes of lectures) in one ffmpeg run: as a flat
    `a+b+...` select expression ffmpeg refused 100 terms ("Cannot allocate memory")."""
    import subprocess

    video = tmp_path / "allkey.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=6",
         "-c:v", "libx264", "-g", "1", "-pix_fmt", "yuv420p", str(video)],
        check=True,
    )  # fmt: skip
    times = [round(i / 25, 3) for i in range(150)]  # every frame is a keyframe
    got = FfmpegMedia().keyframes_at(video, times)
    assert sorted(got) == times
    assert len({img.tobytes() for img in got.values()}) > 100  # each its own picture (testsrc counts up)
