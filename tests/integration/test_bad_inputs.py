"""Bad input gets a failed stage_run with its reason on its own row; the rest of the batch finishes."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from eval.corpus import demo_videos
from ophin.db.models import Frame, Pair, StageRun, TranscriptSegment, Video, VideoAlias
from ophin.db.session import session_scope
from ophin.domain.urls import canonical_url
from ophin.pipeline import BackfillFilter, BackfillPlan, backfill, plan_backfill, run_urls
from tests.conftest import make_services
from tests.support.media import cut, ffmpeg, serve_directory, short_video, silent_video
from tests.support.verdicts import pair_statuses

HOSTILE_TITLE = "Lecture\x01\x02 <script>alert(1)</script> " + "A" * 5000


def still_slide_with_narration(src, out):  # noqa: ANN001, ANN201
    """One picture (the first fundus slide) muxed with its 14 s of narration: a one-frame video stream."""
    png = out.with_suffix(".png")
    ffmpeg("-ss", "17", "-i", str(src), "-frames:v", "1", str(png))
    ffmpeg(
        "-i", str(png), "-ss", "16", "-t", "14", "-i", str(src), "-map", "0:v", "-map", "1:a",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(out),
    )  # fmt: skip
    return out


def truncated(src, out, fraction: float):  # noqa: ANN001, ANN201
    """The first `fraction` of a faststart mp4's bytes: ffprobe still reads the whole duration."""
    data = src.read_bytes()
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


@pytest.fixture(scope="module")
def batch(tmp_path_factory, make_database, transcriber):  # noqa: ANN001, ANN201
    site = tmp_path_factory.mktemp("site")
    source = demo_videos()[0]
    cut(source, site / "good.mp4", 16.0, 14.0)  # the first fundus slide and its narration
    cut(source, site / "mute.mp4", 16.0, 5.0, audio=False)
    silent_video(cut(source, site / "fundus-only.mp4", 17.0, 5.0, audio=False), site / "silent.mp4", 5.0)
    still_slide_with_narration(source, site / "still.mp4")
    short_video(site / "blink.mp4", 0.3)
    truncated(source, site / "truncated.mp4", 0.3)
    shutil.copyfile(site / "good.mp4", site / "copy-of-good.mp4")
    (site / "notes.mp4").write_text("these are lecture notes, not a video\n" * 50)
    (site / "page.html").write_text(
        f"<html><head><title>{HOSTILE_TITLE}</title></head><body><video src='good.mp4'></video></body></html>"
    )
    svc = make_services(tmp_path_factory.mktemp("bad"), make_database(), transcriber)
    with serve_directory(site) as base:
        urls = {
            name: f"{base}/{name}"
            for name in (
                "good.mp4",
                "mute.mp4",
                "silent.mp4",
                "notes.mp4",
                "page.html",
                "later.mp4",
                "still.mp4",
                "blink.mp4",
                "truncated.mp4",
            )
        }
        # Five spellings of one file: tracking parameters, a fragment, upper case, another name.
        urls["same"] = [
            f"{base}/good.mp4?utm_source=newsletter",
            f"{base}/good.mp4#t=3",
            f"{base.upper()}/good.mp4",
            f"{base}/copy-of-good.mp4",
        ]
        urls["unreachable"] = "http://127.0.0.1:1/lecture.mp4"
        report = run_urls([u for v in urls.values() for u in ([v] if isinstance(v, str) else v)], svc)
        yield svc, urls, report, site


def _video(svc, url: str) -> Video | None:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        alias = session.scalars(select(VideoAlias).where(VideoAlias.url == canonical_url(url))).first()
        return session.get(Video, alias.video_id) if alias else None


def _runs(svc, url: str) -> list[StageRun]:  # noqa: ANN001
    video = _video(svc, url)
    keys = [canonical_url(url)] + ([str(video.id)] if video else [])
    with session_scope(svc.sessions) as session:
        return list(
            session.scalars(
                select(StageRun).where(StageRun.entity_key.in_(keys)).order_by(StageRun.started_at)
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
    assert not report.ok


def test_run_urls_rejects_a_file_that_is_not_a_video(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    (run,) = _runs(svc, urls["notes.mp4"])
    assert run.status == "failed" and run.error_class in ("MediaError", "AcquireError")
    assert _video(svc, urls["notes.mp4"]) is None


def test_run_urls_rejects_truncated_media_naming_both_durations(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    (run,) = _runs(svc, urls["truncated.mp4"])
    assert (run.status, run.error_class) == ("failed", "MediaError")
    assert (
        "truncated or corrupt media" in run.error_message and "of the container's 63.5 s" in run.error_message
    )
    assert _video(svc, urls["truncated.mp4"]) is None


def test_run_urls_keyframes_a_video_without_audio(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    runs = _runs(svc, urls["mute.mp4"])
    assert all(r.status == "succeeded" for r in runs) and runs[-1].stage == "verify"
    vid = _video(svc, urls["mute.mp4"]).id
    with session_scope(svc.sessions) as session:
        frames = session.scalars(select(Frame).where(Frame.video_id == vid, Frame.kept)).all()
        pairs = session.scalars(select(Pair).where(Pair.video_id == vid)).all()
    assert frames and pairs
    assert all(
        p.status == "dropped" and p.drop_reason == "no speech: the video has no audio track" for p in pairs
    )


@pytest.mark.parametrize("name", ["still.mp4", "blink.mp4"])
def test_run_urls_yields_the_frame_of_a_still_or_very_short_video(batch, name) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    assert all(r.status == "succeeded" for r in _runs(svc, urls[name]))
    vid = _video(svc, urls[name]).id
    with session_scope(svc.sessions) as session:
        (frame,) = session.scalars(select(Frame).where(Frame.video_id == vid)).all()
        pairs = session.scalars(select(Pair).where(Pair.video_id == vid)).all()
        status = pair_statuses(session, Pair.video_id == vid)
    if name == "blink.mp4":  # 0.3 s of a test pattern: its frame is measured, and it is no clinical image
        assert not frame.kept and frame.drop_reason.startswith("not a clinical image")
        return
    # One picture muxed with 14 s of narration: the picture pairs with all of it, not with its one 40 ms
    # frame. (Its instructions repeat good.mp4's, same slide and words, so verify keeps those instead.)
    assert frame.kept and len(pairs) == 1 and status[pairs[0].id] == "kept"
    assert pairs[0].end_s - pairs[0].start_s > 13 and len(pairs[0].text.split()) > 20


def test_run_urls_makes_one_video_of_five_urls_of_one_file(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    spellings = [urls["good.mp4"], *urls["same"]]
    videos = {_video(svc, u).id for u in spellings}
    assert len(videos) == 1
    (vid,) = videos
    with session_scope(svc.sessions) as session:
        aliases = session.scalars(select(VideoAlias.url).where(VideoAlias.video_id == vid)).all()
        video = session.get(Video, vid)
        per_stage = session.execute(
            select(StageRun.stage, func.count())
            .where(StageRun.entity_key == str(vid))
            .group_by(StageRun.stage)
        ).all()
    # Tracking parameters, fragments and case are spelling: three canonical URLs, one content.
    assert len(aliases) == 3 and video.url == canonical_url(urls["good.mp4"])
    assert all(n == 1 for _, n in per_stage)  # each stage ran once for the five URLs


def test_run_urls_keeps_silent_track_with_reasoned_drops(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    vid = _video(svc, urls["silent.mp4"]).id
    assert all(r.status == "succeeded" for r in _runs(svc, urls["silent.mp4"]))
    with session_scope(svc.sessions) as session:
        assert session.scalars(select(TranscriptSegment).where(TranscriptSegment.video_id == vid)).all() == []
        pairs = session.scalars(select(Pair).where(Pair.video_id == vid)).all()
    assert pairs and all(p.status == "dropped" and "word" in p.drop_reason for p in pairs)


def test_run_urls_sanitises_hostile_metadata(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    video = _video(svc, urls["page.html"])
    assert video is not None and video.title is not None
    assert "\x01" not in video.title and len(video.title) <= 500


def test_backfill_plan_selects_by_stage_error_class_time_and_video(batch) -> None:  # noqa: ANN001
    from datetime import UTC, datetime, timedelta

    svc, urls, _, _ = batch
    plan = plan_backfill(svc, BackfillFilter(stage="acquire", error_class="MediaError"))
    assert set(plan.urls) == {canonical_url(urls["notes.mp4"]), canonical_url(urls["truncated.mp4"])}
    plan = plan_backfill(svc, BackfillFilter(error_class="AcquireError"))
    assert set(plan.urls) == {canonical_url(urls["unreachable"])}
    plan = plan_backfill(svc, BackfillFilter(error_class="VideoUnavailable"))  # the 404
    assert set(plan.urls) == {canonical_url(urls["later.mp4"])}
    assert plan.videos == []
    future = datetime.now(UTC) + timedelta(hours=1)
    assert plan_backfill(svc, BackfillFilter(since=future)).urls == []
    assert len(plan_backfill(svc, BackfillFilter(until=future)).urls) == 4
    good = _video(svc, urls["good.mp4"]).id
    assert plan_backfill(svc, BackfillFilter(videos=(good,))) == BackfillPlan([], [], [])
    with pytest.raises(ValueError, match="unknown stage"):
        BackfillFilter(stage="nope")


def test_backfill_reruns_failed_acquisitions_once_fixed(batch) -> None:  # noqa: ANN001
    svc, urls, _, site = batch
    assert _runs(svc, urls["later.mp4"])[-1].status == "failed"  # 404 at first
    cut(demo_videos()[0], site / "later.mp4", 30.0, 8.0)  # the upload appears; the server still runs
    report = backfill("acquire", svc)
    assert urls["later.mp4"] not in {f.entity_key for f in report.failures}
    assert {f.entity_key for f in report.failures} == {
        urls["unreachable"],
        urls["notes.mp4"],
        urls["truncated.mp4"],
    }
    runs = _runs(svc, urls["later.mp4"])
    assert [r.attempt for r in runs if r.stage == "acquire"] == [1, 2]
    assert runs[-1].stage == "verify" and runs[-1].status == "succeeded"
