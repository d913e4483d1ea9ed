"""dag.test() runs the real DAG against PostgreSQL and leaves the same lineage as the CLI pipeline."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ophin.db.models import Clip, Frame, Instruction, Pair, StageRun, TranscriptSegment, Video, VisualCue
from ophin.db.session import session_scope
from ophin.pipeline import run_urls
from ophin.sample_corpus import demo_videos
from tests.conftest import make_services
from tests.support.media import cut

LINEAGE = (Video, Clip, Frame, TranscriptSegment, Pair, VisualCue, Instruction)


def states_index(states: dict, task_id: str, state: str) -> int:
    return next(i for (t, i), s in states.items() if t == task_id and s.endswith(state))


def lineage_ids(svc) -> dict[str, set[str]]:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        ids = {m.__tablename__: {str(i) for i in session.scalars(select(m.id))} for m in LINEAGE}
        ids["accepted"] = {
            str(i) for i in session.scalars(select(Instruction.id).where(Instruction.status == "accepted"))
        }
    return ids


@pytest.fixture
def short_lecture(tmp_path):  # noqa: ANN001, ANN201
    return cut(demo_videos()[1], tmp_path / "macula_short.mp4", 19.0, 16.0)  # the OCT slide with edema


def test_dag_test_matches_cli_lineage(
    airflow_env, make_database, transcriber, tmp_path, short_lecture, monkeypatch
) -> None:  # noqa: ANN001
    url = short_lecture.resolve().as_uri()
    bad = "http://169.254.169.254/latest/meta-data.mp4"  # refused by the fetch policy: fails without retries
    cli_svc = make_services(tmp_path / "cli", make_database(), transcriber)
    assert [f.entity_key for f in run_urls([url, bad], cli_svc).failures] == [bad]

    dag_db = make_database(migrate=False)  # the DAG's first task migrates a fresh lineage database
    monkeypatch.setenv("OPHIN_DB__URL", dag_db)
    monkeypatch.setenv("OPHIN_HOME", str(tmp_path / "dag_home"))
    monkeypatch.setenv("OPHIN_ACQUIRE__ALLOW_FILE_URLS", "true")
    from ophin.settings import get_settings

    get_settings.cache_clear()
    from airflow.models.dagbag import DagBag

    from tests.dags.conftest import DAGS_DIR

    dag = DagBag(dag_folder=str(DAGS_DIR)).dags["ophin_pipeline"]
    dag_run = dag.test(run_conf={"urls": [url, bad]})
    get_settings.cache_clear()
    # The bad URL fails its own tasks and the run says so; the good video goes through every stage.
    assert str(dag_run.state) in ("failed", "DagRunState.FAILED")
    states = {(ti.task_id, ti.map_index): str(ti.state) for ti in dag_run.get_task_instances()}
    assert states[("check_videos", -1)].endswith("failed")
    assert sorted(
        s.split(".")[-1] for (t, _), s in states.items() if t == "per_video.verify_instructions"
    ) == [
        "success",
        "upstream_failed",
    ]

    dag_svc = make_services(tmp_path / "dag", dag_db, transcriber)
    assert lineage_ids(dag_svc) == lineage_ids(cli_svc)
    assert lineage_ids(dag_svc)["accepted"]
    with session_scope(dag_svc.sessions) as session:
        runs = session.scalars(select(StageRun)).all()
    assert all(r.runner.startswith("airflow:") and r.dag_id == "ophin_pipeline" for r in runs)
    # Each attempt names the task instance that ran it: the way back from a row to its task log.
    transcribe = next(r for r in runs if r.stage == "transcribe")
    assert transcribe.task_id == "per_video.transcribe_video" and transcribe.try_number >= 1
    assert transcribe.map_index == states_index(states, "per_video.transcribe_video", "success")
