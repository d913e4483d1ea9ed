"""What the engine promises under change and loss: state-based skipping, lost objects made again,
corrupt media refused and repaired, releases never half-written, one log line per stage and entity."""

from __future__ import annotations

import hashlib
import logging

import pytest
from sqlalchemy import select

from eval.corpus import demo_videos
from ophin.db.models import Frame, StageState, Video, VisualCue
from ophin.db.session import session_scope
from ophin.domain.ids import sha256_file
from ophin.pipeline import STAGE_NAMES, backfill, run_urls
from ophin.stages.export import ExportError, export_release
from tests.conftest import make_services
from tests.support.media import cut
from tests.support.release import llava_records, text_files
from tests.support.verdicts import instruction_statuses, pair_statuses


@pytest.fixture(scope="module")
def clip_url(tmp_path_factory) -> str:  # noqa: ANN001
    clip = cut(demo_videos()[0], tmp_path_factory.mktemp("clip") / "fundus.mp4", 16.0, 14.0)
    return clip.resolve().as_uri()


def content(svc) -> dict[str, list]:  # noqa: ANN001
    """What a reader of the lineage sees: cues, pair decisions and instructions, by id."""
    with session_scope(svc.sessions) as session:
        return {
            "cues": sorted((str(c.id), c.is_visual) for c in session.scalars(select(VisualCue))),
            "pairs": sorted((str(p), s) for p, s in pair_statuses(session).items()),
            "instructions": sorted((str(i), s) for i, s in instruction_statuses(session).items()),
        }


def test_settings_a_then_b_then_a_leave_a_rows(tmp_path, db_url, transcriber, clip_url, caplog) -> None:  # noqa: ANN001
    home = tmp_path / "h"
    with caplog.at_level(logging.INFO, logger="ophin.stages"):
        assert run_urls([clip_url], make_services(home, db_url, transcriber)).ok
    # One line per stage and entity, saying what it did: what an Airflow task log shows.
    lines = [r.getMessage() for r in caplog.records if r.name == "ophin.stages"]
    assert [line.split()[0] for line in lines] == list(STAGE_NAMES)
    assert all(" succeeded in " in line for line in lines)
    assert "segments=" in lines[1] and "accepted=" in lines[-1]
    a = content(make_services(home, db_url, transcriber))
    assert any(status == "accepted" for _, status in a["instructions"])

    # B: more visual-cue sentences per pair than any window of the clip holds, so every pair is dropped.
    strict = make_services(home, db_url, transcriber, cues={"min_cues_per_pair": 20})
    assert run_urls([clip_url], strict).ok
    b = content(strict)
    assert b != a and not b["instructions"]

    again = make_services(home, db_url, transcriber)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ophin.stages"):
        assert run_urls([clip_url], again).ok
    assert content(again) == a
    redone = [r.getMessage().split()[0] for r in caplog.records if "succeeded in" in r.getMessage()]
    assert redone == ["cues", "synthesize", "verify"]  # acquire, transcribe, keyframes, pair: up to date


def test_lost_objects_are_made_again_and_export_never_half_writes(
    tmp_path, db_url, transcriber, clip_url
) -> None:  # noqa: ANN001
    svc = make_services(tmp_path / "h", db_url, transcriber)
    assert run_urls([clip_url], svc).ok
    release = tmp_path / "release"
    first = export_release(release, svc=svc)
    before = text_files(release)
    with session_scope(svc.sessions) as session:
        video = session.scalars(select(Video)).one()
        frame_keys = session.scalars(select(Frame.object_key).where(Frame.kept)).all()
    svc.store.delete(frame_keys[0])
    svc.store.delete(video.media_key)

    with pytest.raises(ExportError, match="image missing from the store"):
        export_release(release, svc=svc)
    assert text_files(release) == before  # the earlier release is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h", "release"]  # no staging folder left

    assert run_urls([clip_url], svc).ok  # acquire and keyframes see their objects gone and redo them
    assert svc.store.exists(video.media_key) and all(svc.store.exists(k) for k in frame_keys)
    assert export_release(release, svc=svc).release_id == first.release_id


def test_corrupt_media_fails_with_reason_and_backfill_reacquires(
    tmp_path, db_url, transcriber, clip_url
) -> None:  # noqa: ANN001
    svc = make_services(tmp_path / "h", db_url, transcriber)
    assert run_urls([clip_url], svc).ok
    with session_scope(svc.sessions) as session:
        video = session.scalars(select(Video)).one()
    good = svc.store.get_bytes(video.media_key)
    svc.store.put_bytes(video.media_key, good[: len(good) // 3])  # a copy that was cut short

    changed = make_services(tmp_path / "h", db_url, transcriber, keyframes={"jpeg_quality": 80})
    report = run_urls([clip_url], changed)
    (failure,) = report.failures
    assert failure.stage == "keyframes" and type(failure.cause).__name__ == "InputMissing"
    assert "sha256" in str(failure.cause)

    healed = backfill("keyframes", changed)
    assert healed.ok and healed.videos == [video.id]
    assert hashlib.sha256(svc.store.get_bytes(video.media_key)).hexdigest() == video.sha256
    with session_scope(svc.sessions) as session:
        states = {s.stage: s.status for s in session.scalars(select(StageState))}
    assert set(states.values()) == {"succeeded"}


def test_export_names_no_local_path(tmp_path, db_url, transcriber, clip_url) -> None:  # noqa: ANN001
    svc = make_services(tmp_path / "h", db_url, transcriber)
    assert run_urls([clip_url], svc).ok
    export_release(tmp_path / "release", svc=svc)
    for name, text in text_files(tmp_path / "release").items():
        assert str(tmp_path) not in text and "file://" not in text, name
    records = llava_records(tmp_path / "release")
    assert {r["source"]["video_url"] for r in records} == {"local-file:fundus.mp4"}
    assert sha256_file(str(tmp_path / "release" / "images" / records[0]["image"]))


def test_attempt_that_lost_its_lease_fails_alone_and_leaves_the_new_holder(
    tmp_path, db_url, transcriber
) -> None:  # noqa: ANN001
    from sqlalchemy import update

    from ophin.db.models import StageRun
    from ophin.stages.base import StageFailed, run_stage

    svc = make_services(tmp_path / "h", db_url, transcriber)

    def stalled_then_overtaken(attempt) -> dict:  # noqa: ANN001
        # While this worker stalled past its lease, another one took the entity over.
        with session_scope(svc.sessions) as session:
            session.execute(
                update(StageState)
                .where(StageState.stage == "probe")
                .values(lease_owner="other-worker", stage_run_id=None)
            )
        return {"done": 1}

    with pytest.raises(StageFailed) as failure:
        run_stage(
            svc,
            stage="probe",
            version="1",
            entity_type="batch",
            entity_key="b1",
            params={},
            work=stalled_then_overtaken,
        )
    assert type(failure.value.cause).__name__ == "LeaseLost"
    with session_scope(svc.sessions) as session:
        run = session.scalars(select(StageRun).where(StageRun.stage == "probe")).one()
        state = session.scalars(select(StageState).where(StageState.stage == "probe")).one()
    assert (run.status, run.error_class) == ("failed", "LeaseLost")
    assert state.lease_owner == "other-worker" and state.status == "running"  # the new holder's, untouched
