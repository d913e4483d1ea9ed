"""Real `ophin run` processes at once, and killed mid-stage: workers cooperate and nothing is lost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from eval.corpus import demo_videos
from ophin.db.models import StageRun, StageState, TranscriptSegment, Video
from ophin.db.session import session_scope
from ophin.pipeline import run_urls
from tests.conftest import make_services
from tests.support.media import cut
from tests.support.verdicts import instruction_statuses

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def clip_url(tmp_path_factory) -> str:  # noqa: ANN001
    clip = cut(demo_videos()[1], tmp_path_factory.mktemp("clip") / "oct.mp4", 19.0, 16.0)
    return clip.resolve().as_uri()


@pytest.fixture(scope="module")
def clean(tmp_path_factory, make_database, transcriber, clip_url):  # noqa: ANN001, ANN201
    """What one undisturbed run stores, to compare the others with."""
    svc = make_services(tmp_path_factory.mktemp("clean"), make_database(), transcriber)
    assert run_urls([clip_url], svc).ok
    return stored(svc.sessions)


def stored(sessions) -> dict[str, list]:  # noqa: ANN001
    with session_scope(sessions) as session:
        return {
            "segments": [
                (s.start_s, s.text)
                for s in session.scalars(select(TranscriptSegment).order_by(TranscriptSegment.index))
            ],
            "instructions": sorted((str(i), s) for i, s in instruction_statuses(session).items()),
        }


def stored_sha(sessions) -> str:  # noqa: ANN001
    with session_scope(sessions) as session:
        return session.scalars(select(Video.sha256)).one()


def ophin(home: Path, db_url: str, *args: str, **env: str) -> subprocess.Popen:
    environ = {
        **os.environ,
        "OPHIN_HOME": str(home),
        "OPHIN_DB__URL": db_url,
        "OPHIN_ACQUIRE__ALLOW_FILE_URLS": "true",
        "OPHIN_LICENSE__ACCEPT_UNKNOWN": "true",  # test media states no licence
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ophin.cli.app", *args],
        env=environ,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_runs_at_once_on_a_fresh_database_and_home_do_each_stage_once(
    tmp_path, make_database, clip_url, clean
) -> None:  # noqa: ANN001
    db_url = make_database(migrate=False)  # both race to migrate it and to assemble the Whisper model
    runs = [ophin(tmp_path / "home", db_url, "-v", "run", clip_url) for _ in range(2)]
    outputs = [p.communicate(timeout=600)[0] for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outputs

    sessions = sa.orm.sessionmaker(sa.create_engine(db_url), expire_on_commit=False)
    with session_scope(sessions) as session:
        attempts = session.execute(
            select(StageRun.stage, StageRun.status, func.count()).group_by(StageRun.stage, StageRun.status)
        ).all()
    assert {(stage, status) for stage, status, _ in attempts} == {
        (s, "succeeded")
        for s in ("acquire", "transcribe", "keyframes", "pair", "cues", "synthesize", "verify")
    }
    assert all(n == 1 for _, _, n in attempts)  # the second worker waited, then found the work done
    assert any("waiting for worker" in out for out in outputs)
    assert stored(sessions) == clean
    work = tmp_path / "home" / "work"
    assert [p.name for p in work.iterdir()] == ["media"]  # per-attempt scratch removed after; the cache stays
    (cached,) = [p for p in (work / "media").iterdir() if not p.name.startswith(".")]  # one copy, both runs
    assert cached.name.startswith(stored_sha(sessions))


def test_run_killed_during_transcribe_is_taken_over_and_matches_a_clean_run(
    tmp_path, make_database, clip_url, clean
) -> None:  # noqa: ANN001
    db_url = make_database()
    sessions = sa.orm.sessionmaker(sa.create_engine(db_url), expire_on_commit=False)
    lease = {"OPHIN_RUN__LEASE_S": "4"}
    victim = ophin(tmp_path / "home", db_url, "run", clip_url, **lease)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with session_scope(sessions) as session:
            state = session.scalars(select(StageState).where(StageState.stage == "transcribe")).first()
        if state is not None and state.status == "running":
            break
        assert victim.poll() is None, victim.communicate()[0]
        time.sleep(0.05)
    victim.kill()  # SIGKILL: no cleanup, no final word; its lease just stops being renewed
    victim.wait()

    rerun = ophin(tmp_path / "home", db_url, "run", clip_url, **lease)
    output = rerun.communicate(timeout=600)[0]
    assert rerun.returncode == 0, output
    with session_scope(sessions) as session:
        transcribes = session.scalars(
            select(StageRun).where(StageRun.stage == "transcribe").order_by(StageRun.attempt)
        ).all()
        states = set(session.scalars(select(StageState.status)))
    assert [(r.attempt, r.status, r.error_class) for r in transcribes] == [
        (1, "failed", "AbandonedAttempt"),
        (2, "succeeded", None),
    ]
    assert states == {"succeeded"}
    assert stored(sessions) == clean
