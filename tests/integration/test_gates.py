"""Gates that stop: every check refuses a batch broken in its own way, and a failed gate stops the batch,
says why (quality_run, `ophin run`, `ophin status`) and keeps that video out of every release."""

from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from eval.corpus import demo_videos
from ophin.cli.app import app
from ophin.db.models import QualityRun, StageRun, Video
from ophin.db.session import session_factory, session_scope
from ophin.pipeline import run_urls
from ophin.quality.gates import check_batch
from ophin.settings import GateSettings, Settings, get_settings
from tests.conftest import make_services
from tests.support.media import cut
from tests.support.release import llava_records

OTHER = "00000000-0000-4000-8000-00000000beef"  # a second video, for relations across videos
# A second video with a clip and a frame of its own, copied from the real one.
ADD_OTHER = f"""
INSERT INTO video (id, url, sha256, duration_s, media_key, width, height, has_audio)
  SELECT '{OTHER}', 'other', 'x', duration_s, media_key, width, height, has_audio FROM video;
INSERT INTO clip (id, video_id, index, start_s, end_s, params_hash)
  SELECT '{OTHER}', '{OTHER}', 0, 0, 1, 'p' FROM clip LIMIT 1;
INSERT INTO frame (id, video_id, clip_id, t_s, object_key, width, height, phash, kept, params_hash)
  SELECT '{OTHER}', '{OTHER}', '{OTHER}', 0.5, object_key, width, height, phash, true, 'p' FROM frame LIMIT 1;
"""
ONE_FRAME = f"(SELECT id FROM frame WHERE kept AND id <> '{OTHER}' ORDER BY t_s LIMIT 1)"
ACCEPTED = "(SELECT instruction_id FROM instruction_verdict WHERE status = 'accepted')"
ONE_ACCEPTED = ACCEPTED[:-1] + " ORDER BY instruction_id LIMIT 1)"

# (stage, how the batch is broken, the sentence that must say why, thresholds changed)
BROKEN = [
    ("acquire", "UPDATE video SET duration_s = 0", "lasts more than 0 s", {}),
    ("acquire", "UPDATE video SET sha256 = NULL", "content hash", {}),
    ("acquire", "UPDATE video SET media_key = NULL", "media is in the store", {}),
    ("acquire", "UPDATE video SET width = 0", "frame size", {}),
    ("transcribe", "UPDATE transcript_segment SET start_s = -2 WHERE index = 0", "start at or after 0", {}),
    (
        "transcribe",
        "UPDATE transcript_segment SET end_s = start_s - 1 WHERE index = 0",
        "end at or after",
        {},
    ),
    ("transcribe", "UPDATE transcript_segment SET end_s = 900 WHERE index = 0", "end inside their video", {}),
    ("transcribe", "UPDATE transcript_segment SET text = '  ' WHERE index = 0", "segments have text", {}),
    ("transcribe", "UPDATE transcript_segment SET no_speech_prob = 1.5", "no-speech", {}),
    ("transcribe", "DELETE FROM transcript_segment", "audio but no transcript", {}),
    ("keyframes", f"UPDATE frame SET t_s = -1 WHERE id = {ONE_FRAME}", "at or after 0 s", {}),
    ("keyframes", f"UPDATE frame SET t_s = 900 WHERE id = {ONE_FRAME}", "inside their video", {}),
    ("keyframes", "UPDATE frame SET clinical_score = 1.7", "clinical scores", {}),
    (
        "keyframes",
        ADD_OTHER + f"UPDATE frame SET clip_id = '{OTHER}' WHERE id = {ONE_FRAME}",
        "clip's video",
        {},
    ),
    ("keyframes", "UPDATE frame SET kept = false, drop_reason = NULL", "says why", {}),
    ("keyframes", "DELETE FROM frame", "keyframes per minute", {}),
    ("keyframes", "SELECT 1", "keyframes per minute", {"max_frames_per_minute": 0.5}),
    ("pair", "UPDATE pair SET start_s = -3", "start at or after 0", {}),
    ("pair", "UPDATE pair SET end_s = start_s - 1", "end at or after", {}),
    ("pair", "UPDATE pair SET end_s = 900", "windows end inside their video", {}),
    ("pair", ADD_OTHER + f"UPDATE pair SET frame_id = '{OTHER}'", "frame is of the pair's video", {}),
    ("pair", "UPDATE frame SET kept = false, drop_reason = 'x'", "kept frames only", {}),
    ("cues", "UPDATE visual_cue SET score = 1.5", "cue scores", {}),
    ("cues", "UPDATE visual_cue SET text = ''", "sentences have text", {}),
    (
        "cues",
        "UPDATE pair_verdict SET status = 'dropped'",
        "kept for a visual cue",
        {"min_sample": 1},
    ),
    (
        "synthesize",
        f"UPDATE instruction SET turns = '[]' WHERE id = {ONE_ACCEPTED}",
        "question and an answer",
        {},
    ),
    (
        "synthesize",
        ADD_OTHER + f"UPDATE instruction SET frame_id = '{OTHER}' WHERE id = {ONE_ACCEPTED}",
        "shows its pair's frame",
        {},
    ),
    ("synthesize", "UPDATE instruction SET status = 'failed'", "generation failed", {"min_sample": 1}),
    ("synthesize", "DELETE FROM instruction", "kept pair has instructions", {}),
    ("verify", f"DELETE FROM verification WHERE instruction_id = {ONE_ACCEPTED}", "was verified", {}),
    (
        "verify",
        f"UPDATE verification SET passed = false WHERE instruction_id = {ONE_ACCEPTED}",
        "passed every check",
        {},
    ),
    (
        "verify",
        "UPDATE instruction_verdict SET status = 'rejected'",
        "rejected by verification",
        {"min_sample": 1},
    ),
    # An empty output from a non-empty input: nothing accepted, no cue sentence scored.
    ("verify", "UPDATE instruction_verdict SET status = 'rejected'", "accepted: no output from", {}),
    ("cues", "DELETE FROM visual_cue", "cues: no output from", {}),
    # Accepted records that carry none of their image's narrated findings.
    (
        "verify",
        """UPDATE instruction SET turns = '[{"role": "human", "text": "What is this?"}, """
        """{"role": "gpt", "text": "A picture of the back of the eye."}]' WHERE id IN """ + ACCEPTED,
        "narrated finding in none of their accepted records",
        {"min_sample": 1},
    ),
    (
        "verify",
        "UPDATE instruction_verdict SET fingerprint = 'same' WHERE status = 'accepted'",
        "repeat another",
        {},
    ),
]


@pytest.fixture(scope="module")
def processed(tmp_path_factory, make_database, transcriber):  # noqa: ANN001, ANN201
    """One lecture excerpt (24 s: long enough for frames per minute to count; two fundus photographs, the
    second narrating the cup, so the finding-coverage check has a finding to lose) through the engine."""
    folder = tmp_path_factory.mktemp("gates")
    clip = cut(demo_videos()[0], folder / "glaucoma.mp4", 16.8, 24.4)
    svc = make_services(folder, make_database(), transcriber)
    report = run_urls([clip.resolve().as_uri()], svc)
    assert report.ok and len(report.gates) == 7, report
    yield svc, clip
    admin = sa.create_engine(
        svc.sessions.kw["bind"].url.set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        for name in COPIES:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


COPIES: list[str] = []


def _copy(svc, pg_admin_url: str) -> str:  # noqa: ANN001
    """A copy of the processed database (CREATE DATABASE ... TEMPLATE), for one broken variant."""
    engine = svc.sessions.kw["bind"]
    engine.dispose()  # a template must have no other session
    name = f"ophin_gate_{uuid.uuid4().hex[:8]}"
    COPIES.append(name)
    admin = sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        # Any session still on the template (a pool another helper did not dispose) is ended; an ended
        # session's server process may outlive its socket for a moment: wait for it, briefly.
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db"),
            {"db": engine.url.database},
        )
        for attempt in range(50):
            try:
                conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{engine.url.database}"'))
                break
            except sa.exc.OperationalError as exc:
                if "being accessed by other users" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.1)
    admin.dispose()
    return engine.url.set(database=name).render_as_string(hide_password=False)


def test_the_processed_batch_passes_every_gate(processed) -> None:  # noqa: ANN001
    svc, _ = processed
    videos = _videos(svc.sessions)
    for stage in ("acquire", "transcribe", "keyframes", "pair", "cues", "synthesize", "verify"):
        gate = check_batch(svc.sessions, stage, videos, GateSettings())
        assert gate.success, gate.failed


@pytest.mark.parametrize(("stage", "breakage", "says", "thresholds"), BROKEN)
def test_each_check_refuses_a_batch_broken_its_way(
    processed, pg_admin_url, stage, breakage, says, thresholds
) -> None:  # noqa: ANN001
    svc, _ = processed
    url = _copy(svc, pg_admin_url)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(breakage)
        sessions = session_factory(Settings(db={"url": url}))
        videos = [v for v in _videos(sessions) if str(v) != OTHER]
        gate = check_batch(sessions, stage, videos, GateSettings(**thresholds))
        assert not gate.success
        assert any(says in line for line in gate.failed), gate.failed
        with session_scope(sessions) as session:
            row = session.get(QualityRun, gate.quality_run_id)
            assert row is not None and row.success is False and says in row.summary
        sessions.kw["bind"].dispose()
    finally:
        engine.dispose()


def _videos(sessions) -> list[uuid.UUID]:  # noqa: ANN001
    with session_scope(sessions) as session:
        return list(session.scalars(sa.select(Video.id)))


def test_a_failed_gate_stops_the_run_exits_nonzero_shows_in_status_and_leaves_releases(
    processed, pg_admin_url, tmp_path, monkeypatch
) -> None:  # noqa: ANN001
    svc, clip = processed
    url = _copy(svc, pg_admin_url)
    monkeypatch.setenv("OPHIN_HOME", str(svc.settings.home))
    monkeypatch.setenv("OPHIN_DB__URL", url)
    monkeypatch.setenv("OPHIN_ACQUIRE__ALLOW_FILE_URLS", "true")
    monkeypatch.setenv("OPHIN_LICENSE__ACCEPT_UNKNOWN", "true")  # test media states no licence
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        before = runner.invoke(app, ["export", "--out", str(tmp_path / "before")])
        assert before.exit_code == 0, before.output
        assert llava_records(tmp_path / "before")

        # The same lecture with keyframes re-made at a scene threshold that finds almost nothing, and a
        # gate that wants two keyframes a minute: the gate stops the batch after keyframes.
        monkeypatch.setenv("OPHIN_KEYFRAMES__SCENE_THRESHOLD", "0.99")
        monkeypatch.setenv("OPHIN_GATES__MIN_FRAMES_PER_MINUTE", "8")
        get_settings.cache_clear()
        result = runner.invoke(app, ["run", clip.resolve().as_uri()])
        assert result.exit_code == 1, result.output
        assert "gate failed: keyframes" in result.output and "keyframes per minute" in result.output
        sessions = session_factory(Settings(db={"url": url}))
        with session_scope(sessions) as session:
            pair_runs = session.scalars(sa.select(StageRun).where(StageRun.stage == "pair")).all()
            assert len(pair_runs) == 1  # the stopped batch never paired the refused keyframes
            gates = session.scalars(sa.select(QualityRun).where(QualityRun.success.is_(False))).all()
        assert [g.stage for g in gates] == ["keyframes"]
        sessions.kw["bind"].dispose()

        status = runner.invoke(app, ["status"])
        assert "gate FAILED" in status.output and "keyframes per minute" in status.output
        refused = runner.invoke(app, ["export", "--out", str(tmp_path / "after")])
        assert refused.exit_code == 2 and "the release would be empty" in refused.output, refused.output
        after = runner.invoke(app, ["export", "--allow-empty", "--out", str(tmp_path / "after")])
        assert after.exit_code == 0, after.output
        assert llava_records(tmp_path / "after") == []
    finally:
        get_settings.cache_clear()


def test_a_share_over_fewer_items_than_min_sample_is_recorded_as_not_judged(processed, pg_admin_url) -> None:  # noqa: ANN001
    svc, _ = processed
    url = _copy(svc, pg_admin_url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"UPDATE instruction_verdict SET status = 'rejected' WHERE instruction_id = {ONE_ACCEPTED}"
        )
    engine.dispose()
    sessions = session_factory(Settings(db={"url": url}))
    gate = check_batch(sessions, "verify", _videos(sessions), GateSettings(min_sample=1000))
    with session_scope(sessions) as session:
        result = session.get(QualityRun, gate.quality_run_id).result
    sessions.kw["bind"].dispose()
    assert gate.success and result["verdicts"]["not_judged"] is True


def test_check_batch_fails_an_empty_output_only_when_its_input_was_not_empty(
    processed, pg_admin_url, monkeypatch
) -> None:  # noqa: ANN001
    import pandas as pd

    from ophin.quality import gates
    from ophin.quality.suites import Part

    svc, _ = processed
    sessions = session_factory(Settings(db={"url": _copy(svc, pg_admin_url)}))
    inputs = {"n": 0}
    fake = {
        "cues": lambda session, videos, g: [Part("made", pd.DataFrame({"id": []}), [], inputs=inputs["n"])]
    }
    monkeypatch.setattr(gates, "SUITES", fake)
    quiet = check_batch(sessions, "cues", _videos(sessions), GateSettings())
    assert quiet.success
    inputs["n"] = 3
    broken = check_batch(sessions, "cues", _videos(sessions), GateSettings())
    assert not broken.success and broken.failed == ["made: no output from 3 input item(s)"]
    sessions.kw["bind"].dispose()
