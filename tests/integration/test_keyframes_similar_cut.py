"""A cut between two photographs of one kind (two fundi back to back), in a real ffmpeg-made video."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from ophin.adapters.media import FfmpegMedia
from ophin.stages.keyframes import KeyframeParams, plan_spans
from tests.fixtures.modality_dev.generate import fundus


def _video(tmp_path: Path, seeds: tuple[int, int]) -> Path:
    inputs = []
    for seed in seeds:
        png = tmp_path / f"f{seed}.png"
        cv2.imwrite(str(png), cv2.resize(fundus(np.random.default_rng(seed)), (640, 480)))
        inputs += ["-loop", "1", "-t", "6", "-i", str(png)]
    out = tmp_path / "two.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", *inputs, "-filter_complex",
         "[0][1]concat=n=2:v=1,format=yuv420p", "-r", "25", "-c:v", "libx264", str(out)],
        check=True,
    )  # fmt: skip
    return out


@pytest.mark.parametrize("seeds", [(1, 2), (3, 4)])
def test_plan_spans_finds_a_cut_between_two_fundus_photographs(tmp_path: Path, seeds) -> None:  # noqa: ANN001
    media = FfmpegMedia()
    video = _video(tmp_path, seeds)
    spans = plan_spans(video, media.probe(video), KeyframeParams(), media)
    assert [s.boundary for s in spans] == ["start", "cut"], spans
    assert abs(spans[1].start_s - 6.0) < 0.1 and spans[0].frame_t_s < 6.0 <= spans[1].frame_t_s


def test_plan_spans_keeps_one_photograph_held_as_one_span(tmp_path: Path) -> None:
    media = FfmpegMedia()
    video = _video(tmp_path, (5, 5))
    spans = plan_spans(video, media.probe(video), KeyframeParams(), media)
    assert [s.boundary for s in spans] == ["start"], spans
