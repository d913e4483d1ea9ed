"""Bad input gets a failed stage_run with its reason on its own row; the rest of the batch finishes."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ophin.db.models import Pair, StageRun, TranscriptSegment, Video
from ophin.db.session import session_scope
from ophin.domain.ids import video_id
from ophin.pipeline import backfill, run_urls
from ophin.sample_corpus import demo_videos
from tests.conftest import make_services
from tests.support.media import cut, serve_directory, silent_video

HOSTILE_TITLE = "Lecture\x01\x02 <script>alert(1)</script> " + "A" * 5000


@pytest.fixture(scope="module")
def batch(tmp_path_factory, make_database, transcriber):  # noqa: ANN001, ANN201
    site = tmp_path_factory.mktemp("site")
    source = demo_videos()[0]
    cut(source, site / "good.mp4", 16.0, 14.0)  # the first fundus slide and its narration
    cut(source, site / "mute.mp4", 0.0, 5.0, audio=False)
    silent_video(source, site / "silent.mp4", 5.0)
    (site / "notes.mp4").write_text("these are lecture notes, not a video\n" * 50)
    (site / "page.html").write_text(
        f"<html><head><title>{HOSTILE_TITLE}</title></head><body><video src='good.mp4'></video></body></html>"
    )
    svc = make_services(tmp_path_factory.mktemp("bad"), make_database(), transcriber)
    with serve_directory(site) as base:
        urls = {
            name: f"{base}/{name}"
            for name in ("good.mp4", "mute.mp4", "silent.mp4", "notes.mp4", "page.html", "later.mp4")
        }
        urls["unreachable"] = "http://127.0.0.1:1/lecture.mp4"
        report = run_urls(list(urls.values()), svc)
        yield svc, urls, report, site


def _runs(svc, url: str) -> list[StageRun]:  # noqa: ANN001
    vid = str(video_id(url))
    with session_scope(svc.sessions) as session:
        return list(
            session.scalars(
                select(StageRun).where(StageRun.entity_key.in_([url, vid])).order_by(StageRun.started_at)
            )
        )


def test_run_urls_records_unreachable_url_and_continues(batch) -> None:  # noqa: ANN001
    svc, urls, report, _ = batch
    (run,) = _runs(svc, urls["unreachable"])
    assert (run.stage, run.status, run.error_class) == ("acquire", "failed", "AcquireError")
    assert "Connection refused" in run.error_message or "connect" in run.error_message.lower()
    good = _runs(svc, urls["good.mp4"])
    assert [r.stage for r in good][-1] == "verify" and all(r.status == "succeeded" for r in good)
    assert {f.entity_key for f in report.failures} >= {urls["unreachable"], urls["notes.mp4"]}


def test_run_urls_rejects_a_file_that_is_not_a_video(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    (run,) = _runs(svc, urls["notes.mp4"])
    assert run.status == "failed" and run.error_class in ("MediaError", "AcquireError")
    with session_scope(svc.sessions) as session:
        assert session.get(Video, video_id(urls["notes.mp4"])) is None


def test_run_urls_fails_transcribe_for_video_without_audio(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    runs = _runs(svc, urls["mute.mp4"])
    assert [(r.stage, r.status) for r in runs] == [("acquire", "succeeded"), ("transcribe", "failed")]
    assert "no audio track" in runs[-1].error_message


def test_run_urls_keeps_silent_track_with_reasoned_drops(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    vid = video_id(urls["silent.mp4"])
    assert all(r.status == "succeeded" for r in _runs(svc, urls["silent.mp4"]))
    with session_scope(svc.sessions) as session:
        assert session.scalars(select(TranscriptSegment).where(TranscriptSegment.video_id == vid)).all() == []
        pairs = session.scalars(select(Pair).where(Pair.video_id == vid)).all()
    assert pairs and all(p.status == "dropped" and "word" in p.drop_reason for p in pairs)


def test_run_urls_sanitises_hostile_metadata(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    with session_scope(svc.sessions) as session:
        video = session.get(Video, video_id(urls["page.html"]))
    assert video is not None and video.title is not None
    assert "\x01" not in video.title and len(video.title) <= 500


def test_backfill_reruns_failed_acquisitions_once_fixed(batch) -> None:  # noqa: ANN001
    svc, urls, _, site = batch
    assert _runs(svc, urls["later.mp4"])[-1].status == "failed"  # 404 at first
    shutil.copyfile(site / "good.mp4", site / "later.mp4")  # the upload appears; the server still runs
    report = backfill("acquire", svc)
    assert urls["later.mp4"] not in {f.entity_key for f in report.failures}
    assert {f.entity_key for f in report.failures} == {urls["unreachable"], urls["notes.mp4"]}
    runs = _runs(svc, urls["later.mp4"])
    assert [r.attempt for r in runs if r.stage == "acquire"] == [1, 2]
    assert runs[-1].stage == "verify" and runs[-1].status == "succeeded"


def test_backfill_fails_and_reruns_abandoned_attempts(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    vid = video_id(urls["silent.mp4"])
    with session_scope(svc.sessions) as session:  # a worker that died mid-stage leaves a 'running' row
        done = session.scalars(
            select(StageRun).where(StageRun.entity_key == str(vid), StageRun.stage == "verify")
        )
        session.add(
            StageRun(
                id=uuid.uuid4(),
                stage="verify",
                entity_type="video",
                entity_key=str(vid),
                video_id=vid,
                attempt=99,
                status="running",
                params_hash=done.one().params_hash,
                params={},
                code_version="x",
                started_at=datetime.now(UTC),
            )
        )
    report = backfill("verify", svc, abandoned_after_s=0)
    assert report.videos == [vid] and report.failures == []
    runs = [r for r in _runs(svc, urls["silent.mp4"]) if r.stage == "verify"]
    assert [(r.attempt, r.status, r.error_class) for r in runs] == [
        (1, "succeeded", None),
        (99, "failed", "AbandonedAttempt"),
        (100, "succeeded", None),
    ]
