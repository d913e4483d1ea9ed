"""Continuous footage and long slides (issue 9's done criteria), run through the real pipeline (real ffmpeg,
real Whisper, real Postgres) and held against the ground truth: every narrated finding of the one-shot
fundus examination gets a kept frame while it is in view, and each finding of the long slide gets its
sentences paired with the slide, in pairs of its own."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from eval.corpus import file_of, footage_truth, footage_videos
from eval.quality.report import measure
from eval.quality.transcription import PairWindow, TimedSentence, long_slide_pairing, span_coverage
from eval.quality.transcription_report import measure_transcription, render_transcription, spoken_sentences
from ophin.adapters import vision
from ophin.db.models import Frame, Pair, Video
from ophin.db.session import session_scope
from ophin.pipeline import run_urls
from tests.conftest import make_services

# The sets whose footage these tests run the engine on; heldout2 is a test the engine is never run on while
# tuning (make quality measures it), and its footage is one continuous shot with no long slide.
SETS = ("demo", "heldout")


@pytest.fixture(scope="module")
def run(tmp_path_factory, make_database, transcriber) -> dict[str, Any]:  # noqa: ANN001
    svc = make_services(tmp_path_factory.mktemp("footage"), make_database(), transcriber)
    urls = [p.resolve().as_uri() for s in SETS for p in footage_videos(s)]
    batch = run_urls(urls, svc, gate=False)
    assert batch.ok, batch.failures
    out: dict[str, Any] = {"svc": svc, "kept": {}, "pairs": {}, "figures": {}}
    with session_scope(svc.sessions) as session:
        for url, t_s in session.execute(
            select(Video.url, Frame.t_s).join(Frame, Frame.video_id == Video.id).where(Frame.kept)
        ):
            out["kept"].setdefault(file_of(url), []).append(t_s)
        for url, start_s, end_s, t_s in session.execute(
            select(Video.url, Pair.start_s, Pair.end_s, Frame.t_s)
            .join(Pair, Pair.video_id == Video.id)
            .join(Frame, Frame.id == Pair.frame_id)
        ):
            out["pairs"].setdefault(file_of(url), []).append(PairWindow(start_s, end_s, t_s))
        for set_name in SETS:
            out["figures"][set_name] = measure_transcription(session, set_name)
    print("\n".join(line for s in SETS for line in [s, *render_transcription(out["figures"][s])]))
    return out


@pytest.mark.parametrize("set_name", SETS)
def test_footage_videos_are_bundled(set_name: str) -> None:
    kinds = sorted(v["kind"] for v in footage_truth(set_name))
    assert kinds == ["continuous", "long_slide"]
    assert all(p.is_file() and p.stat().st_size < 2 * 1024 * 1024 for p in footage_videos(set_name))


@pytest.mark.parametrize("set_name", SETS)
def test_footage_ground_truth_is_consistent(set_name: str) -> None:
    for video in footage_truth(set_name):
        spans = video["spans"]
        assert 60 <= video["duration_s"] <= 90 and len(spans) >= 3, video["file"]
        assert video["finding_order"] == [s["finding"] for s in spans]
        assert all(a["end_s"] < b["start_s"] for a, b in zip(spans, spans[1:], strict=False))
        assert spans[-1]["end_s"] <= video["duration_s"] + 0.05
        for span in spans:
            assert len(span["sentences"]) >= 3
            for s in span["sentences"]:
                assert span["start_s"] <= s["start_s"] < s["end_s"] <= span["end_s"], (video["file"], s)
                assert (s["finding"], s["span"]) == (span["finding"], span["index"])
        if video["kind"] == "continuous":
            pairs = zip(video["boundaries_s"], spans, spans[1:], strict=False)
            assert len(video["boundaries_s"]) == len(spans) - 1
            assert all(a["end_s"] < t < b["start_s"] for t, a, b in pairs)
        else:
            assert video["boundaries_s"] == [] and all("finding_box" in s for s in spans)


@pytest.mark.parametrize("set_name", SETS)
def test_continuous_footage_keeps_a_frame_in_every_finding_span(run, set_name: str) -> None:  # noqa: ANN001
    (video,) = footage_truth(set_name, "continuous")
    kept = run["kept"].get(video["file"], [])
    cover = span_coverage(kept, [(s["start_s"], s["end_s"]) for s in video["spans"]])
    missed = [video["spans"][i]["finding"] for i in cover.missed]
    assert not missed, f"{video['file']}: no kept frame while {missed} in view (kept at {sorted(kept)})"


def _pairing(run: dict[str, Any], set_name: str) -> tuple[dict[str, Any], Any]:
    (video,) = footage_truth(set_name, "long_slide")
    sentences = [TimedSentence(s.get("finding"), s["start_s"], s["end_s"]) for s in spoken_sentences(video)]
    whole = {span["finding"]: (0.0, video["duration_s"]) for span in video["spans"]}  # one static slide
    return video, long_slide_pairing(run["pairs"].get(video["file"], []), sentences, whole)


@pytest.mark.parametrize("set_name", SETS)
def test_long_slide_pairs_every_findings_sentences(run, set_name: str) -> None:  # noqa: ANN001
    video, pairing = _pairing(run, set_name)
    assert pairing.unpaired == (), f"{video['file']}: sentences of {pairing.unpaired} in no pair"


@pytest.mark.parametrize("set_name", SETS)
def test_long_slide_gives_each_finding_pairs_of_its_own(run, set_name: str) -> None:  # noqa: ANN001
    video, pairing = _pairing(run, set_name)
    windows = [(round(p.start_s, 1), round(p.end_s, 1)) for p in run["pairs"].get(video["file"], [])]
    assert pairing.merged == (), f"{video['file']}: {pairing.merged} share a pair (pairs {windows})"


@pytest.mark.parametrize("set_name", SETS)
def test_report_measures_the_footage(run, set_name: str) -> None:  # noqa: ANN001
    figures = run["figures"][set_name]
    names = {v["file"] for v in footage_truth(set_name)}
    assert names <= set(figures["videos"]), figures["videos"].keys()
    assert figures["wer"], "no transcript segments measured"
    assert {"transcribe", "keyframes"} <= set(figures["real_time_factor"]), figures["real_time_factor"]


def test_release_report_leaves_footage_out_of_the_lecture_figures(run) -> None:  # noqa: ANN001
    """Footage records are measured against their narrated spans (footage_span_recall, the footage part),
    never against a lecture scene: with only footage run, the lecture part holds nothing."""
    svc = run["svc"]
    with session_scope(svc.sessions) as session:
        report = measure(session, svc.store, "heldout", ocr=svc.ocr, detect_faces=vision.detect_faces)
    assert report.totals["footage_span_recall"] == report.counts["footage_spans"] > 0
    assert report.parts["lectures"]["clinical_precision"] is None  # no lecture record
    assert report.figures["clinical_scene_recall"] == 0  # the lectures were not run
    assert "heldout_footage_diabetic.mp4" in report.engine["videos"]
