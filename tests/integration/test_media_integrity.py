"""Real ffmpeg on real files: decoding catches truncated uploads; a frame exists wherever video does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eval.corpus import demo_videos
from ophin.adapters.media import FfmpegMedia, MediaError
from tests.support.media import short_video, still_picture_video

media = FfmpegMedia()


@pytest.fixture(scope="module")
def still(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return still_picture_video(tmp_path_factory.mktemp("still") / "still.mp4", audio_s=5.0)


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return short_video(tmp_path_factory.mktemp("short") / "short.mp4", duration_s=0.3)


def test_decode_check_whole_lecture_decodes_to_its_duration() -> None:
    lecture = demo_videos()[0]
    report = media.decode_check(lecture)
    assert report.decoded_s == pytest.approx(media.probe(lecture).duration_s, abs=0.5)
    assert report.errors == 0 and report.first_error is None


def test_decode_check_truncated_upload_decodes_far_less_than_probe_claims(tmp_path: Path) -> None:
    lecture = demo_videos()[0]
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(lecture.read_bytes()[: int(lecture.stat().st_size * 0.3)])
    # The faststart header survives the cut, so probe still believes the whole lecture is there...
    claimed = media.probe(cut).duration_s
    assert claimed == pytest.approx(media.probe(lecture).duration_s)
    # ...and only decoding shows how little of it is.
    report = media.decode_check(cut)
    assert report.decoded_s < 0.5 * claimed
    assert report.errors > 0 and report.first_error


def test_decode_check_refuses_what_is_not_media(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)
    with pytest.raises(MediaError, match="not a readable media file"):
        media.decode_check(junk)


def test_probe_video_duration_of_still_picture_is_its_one_frame(still: Path) -> None:
    info = media.probe(still)
    assert info.duration_s == pytest.approx(5.0, abs=0.1)
    assert info.video_duration_s is not None and info.video_duration_s < 0.5


def test_probe_video_duration_of_whole_lecture_matches_container() -> None:
    info = media.probe(demo_videos()[0])
    assert info.video_duration_s == pytest.approx(info.duration_s, abs=0.5)


def test_frame_at_still_picture_past_its_frame_returns_that_frame(still: Path) -> None:
    image = media.frame_at(still, 2.5)
    assert image.shape == (240, 320, 3)
    assert np.array_equal(image, media.frame_at(still, 0.0))


@pytest.mark.parametrize("t_s", [0.15, 0.29])
def test_frame_at_short_video_returns_an_image(short: Path, t_s: float) -> None:
    assert media.frame_at(short, t_s).shape == (240, 320, 3)


def test_frame_at_past_last_frame_returns_the_last_frame(short: Path) -> None:
    # 30 fps, 0.3 s: the last frame starts at 0.2667 s and t=0.29 lies inside it (testsrc2 frames differ).
    last = media.frame_at(short, 0.29)
    assert np.array_equal(last, media.frame_at(short, 0.26))
    # Inside the video the ordinary accurate seek still answers, with an earlier frame.
    assert not np.array_equal(last, media.frame_at(short, 0.15))


def test_frame_at_truncated_upload_returns_last_decodable_frame(tmp_path: Path) -> None:
    lecture = demo_videos()[0]
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(lecture.read_bytes()[: int(lecture.stat().st_size * 0.3)])
    assert media.frame_at(cut, 40.0).shape[2] == 3
