"""Lectures the engine never saw, served from 127.0.0.1: instructions use clinical frames and restate
what the narrator said about the image on screen."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ophin.pipeline import run_urls
from ophin.sample_corpus import ground_truth, heldout_videos
from ophin.stages.export import export_release
from tests.conftest import make_services
from tests.support.media import serve_directory
from tests.support.truth import scene_at, words

FRAME_WORDS = {"step", "observation", "conclusion", "what", "this", "image", "describe"}


@pytest.fixture(scope="module")
def release(tmp_path_factory, make_database, transcriber):  # noqa: ANN001, ANN201
    site = tmp_path_factory.mktemp("heldout-site")
    for path in heldout_videos():
        shutil.copyfile(path, site / path.name)
    svc = make_services(tmp_path_factory.mktemp("heldout"), make_database(), transcriber)
    with serve_directory(site) as base:
        report = run_urls([f"{base}/{p.name}" for p in heldout_videos()], svc)
    assert report.failures == []
    out = tmp_path_factory.mktemp("release")
    export_release(out, svc=svc)
    return json.loads((out / "llava.json").read_text())


def _precision(answer: str, narration: str) -> float:
    said = set(words(narration))
    content = [w for w in words(answer) if len(w) >= 4 and w not in FRAME_WORDS]
    return sum(w in said for w in content) / max(len(content), 1)


def test_heldout_instructions_use_clinical_frames_only(release) -> None:  # noqa: ANN001
    truth = {v["file"]: v for v in ground_truth("heldout")["videos"]}
    assert len(release) >= 6
    for record in release:
        src = record["source"]
        scene = scene_at(truth[Path(src["video_url"]).name], src["frame_time_s"])
        assert scene["clinical_image"], (src["video_url"], src["frame_time_s"], scene["kind"])


def test_heldout_answers_restate_the_narration_about_the_image(release) -> None:  # noqa: ANN001
    truth = {v["file"]: v for v in ground_truth("heldout")["videos"]}
    scores = []
    for record in release:
        src = record["source"]
        scene = scene_at(truth[Path(src["video_url"]).name], src["frame_time_s"])
        described = " ".join(s["text"] for s in scene["sentences"] if s["describes_image"])
        answers = " ".join(t["value"] for t in record["conversations"] if t["from"] == "gpt")
        scores.append(_precision(answers, described))
    # Whisper base mishears some words of espeak narration; the rest must be the narrator's own.
    assert min(scores) >= 0.45 and sum(scores) / len(scores) >= 0.7, scores


def test_heldout_covers_most_clinical_scenes(release) -> None:  # noqa: ANN001
    truth = ground_truth("heldout")["videos"]
    clinical = {(v["file"], s["index"]) for v in truth for s in v["scenes"] if s["clinical_image"]}
    by_file = {v["file"]: v for v in truth}
    covered = {
        (
            Path(r["source"]["video_url"]).name,
            scene_at(by_file[Path(r["source"]["video_url"]).name], r["source"]["frame_time_s"])["index"],
        )
        for r in release
    }
    assert len(covered & clinical) >= 0.75 * len(clinical)
