"""`ophin run --workers N`: videos worked on at once, with exactly the rows of a one-worker run."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eval.corpus import demo_videos
from ophin.db.models import StageRun
from ophin.db.session import session_scope
from ophin.pipeline import ISOLATED_STAGES, VIDEO_STAGES, acquire_urls, run_urls, stage_waves
from tests.conftest import make_services
from tests.support.media import cut
from tests.support.snapshot import snapshot


@pytest.fixture(scope="module")
def clips(tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("parallel")
    glaucoma, macula = demo_videos()[:2]
    return [
        cut(glaucoma, tmp / "glaucoma.mp4", 16.0, 14.0).resolve().as_uri(),
        cut(macula, tmp / "macula.mp4", 20.0, 24.0).resolve().as_uri(),
    ]


def test_run_urls_with_workers_overlaps_videos_and_leaves_the_same_rows(
    clips, tmp_path, make_database, transcriber
) -> None:  # noqa: ANN001
    one = make_services(tmp_path / "one", make_database(), transcriber)
    two = make_services(tmp_path / "two", make_database(), transcriber)
    sequential = run_urls(clips, one, workers=1)
    parallel = run_urls(clips, two, workers=2)
    assert sequential.ok and parallel.ok, (sequential.failures, parallel.failures)
    assert snapshot(two) == snapshot(one)
    # Gates ran over the same videos, stage for stage.
    gates = [[(g.stage, g.batch_key) for g in r.gates] for r in (parallel, sequential)]
    assert gates[0] == gates[1]
    with session_scope(two.sessions) as session:
        runs = session.scalars(select(StageRun).where(StageRun.stage.in_(("transcribe", "keyframes")))).all()
        acquired = session.scalars(select(StageRun).where(StageRun.stage == "acquire")).all()
    # Two stage runs were under way at the same time: the pool really overlapped them.
    for rows in (runs, acquired):
        spans = [(r.id, r.started_at, r.finished_at) for r in rows]
        assert any(a != b and s < f2 and s2 < f for a, s, f in spans for b, s2, f2 in spans), spans
    assert parallel.videos == sequential.videos  # in URL order, whichever download finished first
    again = run_urls(clips, two, workers=2)  # and a re-run changes nothing
    assert again.ok and snapshot(two) == snapshot(one)


def test_stage_waves_run_only_isolated_stages_side_by_side() -> None:
    assert stage_waves(1) == [(name,) for name in VIDEO_STAGES]
    waves = stage_waves(4)
    assert waves[0] == ("transcribe", "keyframes") and [n for w in waves for n in w] == list(VIDEO_STAGES)
    done: set[str] = set()
    for wave in waves:  # a stage never runs beside, or before, one it reads from
        assert all(done.issuperset(VIDEO_STAGES[n].upstream) for n in wave)
        done.update(wave)
    assert "verify" not in ISOLATED_STAGES  # near-duplicates are judged in batch order


def test_parallel_acquisition_keeps_a_failed_url_on_its_own_row(clips, tmp_path, make_database, transcriber):  # noqa: ANN001, ANN201
    svc = make_services(tmp_path, make_database(), transcriber)
    missing = (tmp_path / "gone.mp4").resolve().as_uri()
    report = acquire_urls([missing, clips[0], missing], svc, workers=2)
    assert [f.entity_key for f in report.failures] == [missing] and len(report.videos) == 1
    with session_scope(svc.sessions) as session:
        rows = session.execute(
            select(StageRun.entity_key, StageRun.status).where(StageRun.stage == "acquire")
        )
        assert sorted(rows) == sorted([(missing, "failed"), (clips[0], "succeeded")])
