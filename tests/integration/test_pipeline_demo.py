"""The engine end to end on the bundled lectures: real Postgres, S3 protocol, ffmpeg and Whisper."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from eval.corpus import demo_videos, file_of, ground_truth
from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    StageRun,
    TranscriptSegment,
    Video,
)
from ophin.db.session import session_scope
from ophin.lineage.trace import lineage
from ophin.pipeline import STAGE_NAMES, run_urls
from ophin.stages.export import export_release
from tests.conftest import make_services
from tests.support.release import llava_records
from tests.support.snapshot import snapshot
from tests.support.truth import scene_at, wer
from tests.support.verdicts import accepted_ids


@pytest.fixture(scope="module")
def demo(tmp_path_factory, make_database, transcriber, s3_endpoint):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("demo")
    svc = make_services(tmp, make_database(), transcriber, s3_endpoint=s3_endpoint)
    urls = [p.resolve().as_uri() for p in demo_videos()]
    report = run_urls(urls, svc)
    return svc, urls, report, snapshot(svc)


def test_run_urls_processes_every_demo_video(demo) -> None:  # noqa: ANN001
    svc, urls, report, snap = demo
    assert report.failures == []
    assert len(snap["video"]) == len(urls) == 3
    # Every stage was gated over the three lectures, and every gate passed.
    assert [g.stage for g in report.gates] == list(STAGE_NAMES) and report.ok, report.gates
    with session_scope(svc.sessions) as session:
        ids = accepted_ids(session)
        accepted = len(ids)
        kinds = set(session.scalars(select(Instruction.kind).where(Instruction.id.in_(ids))))
        statuses = set(session.scalars(select(StageRun.status)))
    assert accepted >= 6
    # A conversation needs three findings narrated about one image; no demo lecture image has them.
    assert kinds == {"vqa", "cot"}
    assert statuses == {"succeeded"}


def test_run_urls_twice_changes_nothing(demo) -> None:  # noqa: ANN001
    svc, urls, _, before = demo
    report = run_urls(urls, svc)
    assert report.failures == []
    assert snapshot(svc) == before


def test_stages_record_every_attempt_with_params_and_versions(demo) -> None:  # noqa: ANN001
    svc, _, _, _ = demo
    with session_scope(svc.sessions) as session:
        runs = list(session.scalars(select(StageRun)))
    stages = {r.stage for r in runs}
    assert stages == {"acquire", "transcribe", "keyframes", "pair", "cues", "synthesize", "verify"}
    for run in runs:
        assert run.params_hash and run.code_version and run.finished_at and run.duration_s is not None
        assert run.video_id is not None
    assert all(r.model_version.startswith("faster-whisper/") for r in runs if r.stage == "transcribe")


def test_keyframes_match_ground_truth_scene_cuts(demo) -> None:  # noqa: ANN001
    svc, urls, _, _ = demo
    truth = {v["file"]: v for v in ground_truth("demo")["videos"]}
    with session_scope(svc.sessions) as session:
        for video in session.scalars(select(Video)):
            clips = session.scalars(
                select(Clip).where(Clip.video_id == video.id).order_by(Clip.start_s)
            ).all()
            expected = truth[file_of(video.url)]["scenes"]
            assert len(clips) == len(expected)
            for clip, scene in zip(clips, expected, strict=True):
                assert abs(clip.start_s - scene["start_s"]) < 0.25


def test_transcripts_are_close_to_the_narration(demo) -> None:  # noqa: ANN001
    svc, _, _, _ = demo
    truth = {v["file"]: v for v in ground_truth("demo")["videos"]}
    with session_scope(svc.sessions) as session:
        for video in session.scalars(select(Video)):
            spoken = " ".join(
                session.scalars(
                    select(TranscriptSegment.text)
                    .where(TranscriptSegment.video_id == video.id)
                    .order_by(TranscriptSegment.index)
                )
            )
            narration = " ".join(
                s["text"] for sc in truth[file_of(video.url)]["scenes"] for s in sc["sentences"]
            )
            assert wer(narration, spoken) < 0.35


def test_faces_and_title_cards_never_reach_instructions(demo) -> None:  # noqa: ANN001
    svc, _, _, _ = demo
    truth = {v["file"]: v for v in ground_truth("demo")["videos"]}
    with session_scope(svc.sessions) as session:
        rows = session.execute(
            select(Frame.t_s, Video.url)
            .join(Instruction, Instruction.frame_id == Frame.id)
            .join(Video, Video.id == Frame.video_id)
            .where(Instruction.id.in_(accepted_ids(session)))
        ).all()
        face_frames = session.execute(
            select(Frame, Video.url).join(Video, Video.id == Frame.video_id).where(Frame.face_count > 0)
        ).all()
        kept = session.execute(
            select(Frame, Video.url).join(Video, Video.id == Frame.video_id).where(Frame.kept)
        ).all()
    assert rows
    for t_s, url in rows:
        assert scene_at(truth[file_of(url)], t_s)["clinical_image"], (url, t_s)
    # A presenter's face is dropped with its frame; a webcam inset on a clinical slide is left out of the
    # refined picture (any face left is blurred), and the slide is kept.
    kinds = {(scene_at(truth[file_of(url)], f.t_s)["kind"], f.kept) for f, url in face_frames}
    assert ("face", False) in kinds and ("face", True) not in kinds
    inset = [f for f, url in kept if scene_at(truth[file_of(url)], f.t_s).get("webcam_inset")]
    assert inset and all("inset" in ((f.crop_box or {}).get("removed") or []) for f in inset), inset
    assert all(f.faces_blurred == f.face_count for f, _ in face_frames)


def test_export_records_resolve_to_video_url_and_time(demo, tmp_path) -> None:  # noqa: ANN001
    svc, _, _, _ = demo
    result = export_release(tmp_path / "release", svc=svc)
    records = llava_records(tmp_path / "release")
    assert result.records == len(records) > 0
    with session_scope(svc.sessions) as session:
        for record in records:
            assert (tmp_path / "release" / "images" / record["image"]).stat().st_size > 1000
            assert record["conversations"][0]["value"].startswith("<image>\n")
            trace = lineage(session, record["id"])
            assert trace["video"]["url"] == record["source"]["video_url"]
            assert 0 <= trace["frame"]["t_s"] <= trace["video"]["duration_s"]
            assert trace["pair"]["start_s"] <= trace["frame"]["t_s"] < trace["pair"]["end_s"]
    again = export_release(tmp_path / "release", svc=svc)
    assert again.release_id == result.release_id


def test_release_carries_attribution_and_only_licensed_videos(demo, tmp_path) -> None:  # noqa: ANN001
    svc, _, _, _ = demo
    export_release(tmp_path / "all", svc=svc)
    records = llava_records(tmp_path / "all")
    # The bundled lectures state CC BY 4.0 in their container tags: the evidence the gate read.
    assert {r["source"]["license"] for r in records} == {"CC-BY-4.0"}
    assert all(r["source"]["video_title"] and r["source"]["creator"] for r in records)
    with session_scope(svc.sessions) as session:
        video = session.get(Video, uuid.UUID(records[0]["source"]["video_id"]))
        assert video.license_evidence["evidence"][0]["origin"] == "container"
        video.license_ok = False  # as if the policy had refused it
    try:
        export_release(tmp_path / "licensed", svc=svc)
        kept = llava_records(tmp_path / "licensed")
        assert kept and str(video.id) not in {r["source"]["video_id"] for r in kept}
    finally:
        with session_scope(svc.sessions) as session:
            session.get(Video, video.id).license_ok = True
