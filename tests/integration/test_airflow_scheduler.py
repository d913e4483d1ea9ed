"""A real Airflow 3 stack (api-server, scheduler, dag-processor, CeleryExecutor on Redis): a Celery worker
killed mid-stage is recovered by Airflow's retries, ophin_backfill finds nothing left to redo, and the
lineage equals a plain `ophin run` of the same files: no duplicate rows, no orphan objects."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from eval.corpus import demo_videos
from tests.support.airflow_stack import BIN, REPO, AirflowStack, running_stack, stack_config
from tests.support.media import cut

pytestmark = pytest.mark.slow
STAGES = {"acquire", "transcribe", "keyframes", "pair", "cues", "synthesize", "verify"}
LINEAGE = ("video", "clip", "frame", "transcript_segment", "pair", "visual_cue", "instruction")


def lineage_ids(engine: sa.Engine) -> dict[str, set[str]]:
    with engine.connect() as conn:
        return {t: {str(i) for i in conn.execute(sa.text(f"SELECT id FROM {t}")).scalars()} for t in LINEAGE}


def referenced_objects(engine: sa.Engine) -> set[str]:
    query = sa.text(
        "SELECT media_key FROM video UNION SELECT info_key FROM video UNION SELECT object_key FROM frame"
    )
    with engine.connect() as conn:
        return {k for k in conn.execute(query).scalars() if k}


def stored_objects(ophin_home: Path, bucket: str = "ophin") -> set[str]:
    """Every file in the local object store, as its key (temp files of an interrupted write included)."""
    root = ophin_home / "objects" / bucket
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def clip_urls(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("clips")
    clips = [
        cut(demo_videos()[1], root / "macula.mp4", 19.0, 16.0),  # the OCT slide with edema
        cut(demo_videos()[0], root / "glaucoma.mp4", 29.0, 12.0),  # the optic cup, close up
    ]
    return [c.resolve().as_uri() for c in clips]


def cli_run(urls: list[str], db_url: str, home: Path) -> subprocess.Popen[str]:
    env = {
        "OPHIN_DB__URL": db_url,
        "OPHIN_HOME": str(home),
        "OPHIN_ACQUIRE__ALLOW_FILE_URLS": "true",
        "OPHIN_LICENSE__ACCEPT_UNKNOWN": "true",
    }
    return subprocess.Popen(
        [str(BIN / "ophin"), "run", *urls], env={**os.environ, **env}, cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_for_running_stage(stack: AirflowStack, engine: sa.Engine, timeout_s: float = 600) -> tuple:
    """The first stage_run of transcribe or keyframes caught in status 'running' (id, stage, try)."""
    query = sa.text(
        "SELECT id, stage, try_number FROM stage_run WHERE status = 'running'"
        " AND stage IN ('transcribe', 'keyframes') ORDER BY started_at LIMIT 1"
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            row = conn.execute(query).first()
        if row is not None:
            return tuple(row)
        assert stack.alive()["worker1"] is None, "worker1 exited before any stage ran"
        time.sleep(0.2)
    raise TimeoutError("no transcribe/keyframes attempt was seen running")


def test_worker_killed_mid_stage_recovers_and_matches_cli(
    tmp_path: Path, make_database, clip_urls: list[str], redis_port: int  # noqa: ANN001
) -> None:  # fmt: skip
    cli_db = make_database(migrate=False)
    cli = cli_run(clip_urls, cli_db, tmp_path / "cli_home")  # runs beside the stack's start-up
    cfg = stack_config(tmp_path / "stack", make_database, redis_db=11, redis_port=redis_port, lease_s=6)
    lineage = sa.create_engine(cfg.lineage_db_url)
    with running_stack(cfg, workers=1) as stack:
        stack.wait_dag("ophin_process")
        stack.wait_dag("ophin_backfill")
        run_id = stack.trigger("ophin_process", {"urls": clip_urls})
        killed_id, killed_stage, killed_try = wait_for_running_stage(stack, lineage)
        stack.kill_tree("worker1")  # SIGKILL to the worker, its pool and the task it was running
        stack.start_worker("worker2")
        assert stack.wait_run("ophin_process", run_id, 900) == "success", stack.task_instances(
            "ophin_process", run_id
        )
        backfill_id = stack.trigger("ophin_backfill", {})
        assert stack.wait_run("ophin_backfill", backfill_id, 600) == "success"
        tis = stack.task_instances("ophin_process", run_id)
    assert cli.wait(timeout=600) == 0, cli.communicate()[0]

    with lineage.connect() as conn:
        states = conn.execute(sa.text("SELECT video_id, stage, status FROM stage_state")).all()
        attempts = conn.execute(
            sa.text("SELECT id, stage, entity_key, attempt, status, error_class, try_number FROM stage_run")
        ).all()
    videos = {v for v, _, _ in states if v is not None}
    assert len(videos) == 2
    assert {s for _, s, _ in states} == STAGES
    assert {status for _, _, status in states} == {"succeeded"}, states

    killed = next(a for a in attempts if a.id == killed_id)
    assert (killed.status, killed.error_class) in {("failed", "AbandonedAttempt"), ("failed", "LeaseLost")}
    later = [a for a in attempts if a.entity_key == killed.entity_key and a.stage == killed_stage]
    assert any(a.status == "succeeded" and a.attempt > killed.attempt for a in later), later
    # The retry that did the work is Airflow's next try of the killed task, on the new worker.
    retried = [t for t in tis if t["try_number"] > 1]
    assert retried and all(t["state"] == "success" for t in retried), tis

    assert lineage_ids(lineage) == lineage_ids(sa.create_engine(cli_db))
    assert stored_objects(cfg.ophin_home) == referenced_objects(lineage)
