"""Every DAG file parses offline, fast, without the engine (Astronomer's DAG-integrity test), and says
how it retries, that it never catches up, and its tags."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.dags.conftest import DAGS_DIR

DAG_IDS = ("ophin_process", "ophin_backfill", "ophin_release")


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_dag_file_imports_without_ophin_or_network(dag_id: str) -> None:
    # A fresh interpreter with no database configured: parsing imports the Airflow glue, never the engine.
    glue = ("ophin", "ophin.orchestration", "ophin.orchestration.dag_glue")
    code = (
        "import sys, time, runpy, airflow.sdk; t = time.time();"
        f"runpy.run_path({str(DAGS_DIR / (dag_id + '.py'))!r});"
        f"print(time.time() - t, any(m.startswith('ophin') and m not in {glue!r} for m in sys.modules))"
    )
    env = {"PATH": "/usr/bin:/bin", "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "HOME": "/tmp"}
    env["AIRFLOW_HOME"] = "/tmp/ophin-dag-parse"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    seconds, imported_ophin = out.stdout.splitlines()[-1].split()
    assert imported_ophin == "False"
    assert float(seconds) < 2.0, f"{dag_id} took {seconds} s to parse (Airflow itself imported)"


def test_dagbag_loads_every_dag_with_retries_tags_and_no_catchup(airflow_env) -> None:  # noqa: ANN001
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    assert set(DAG_IDS) <= set(bag.dags)
    for dag_id in DAG_IDS:
        dag = bag.dags[dag_id]
        assert dag.tags and dag.catchup is False, dag_id
        work = [t for t in dag.tasks if not t.task_id.startswith(("gate_", "check_"))]
        assert all(t.retries >= 2 and t.retry_exponential_backoff for t in work), dag_id


def test_ophin_process_has_a_gate_after_every_stage_and_a_verdict(airflow_env) -> None:  # noqa: ANN001
    from airflow.models.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS_DIR)).dags["ophin_process"]
    t = dag.task_dict
    chain = [
        ("acquire_video", "gate_acquire"),
        ("transcribe_video", "gate_media"),
        ("extract_keyframes", "gate_media"),
        ("pair_and_separate_cues", "gate_pairs_cues"),
        ("synthesize_instructions", "gate_synthesis"),
        ("verify_instructions", "gate_verification"),
    ]
    for stage, gate in chain:
        assert gate in t[stage].downstream_task_ids, (stage, gate)
        assert t[gate].trigger_rule == "all_done"  # a failed video does not keep its batch from the gate
    assert t["transcribe_video"].pool == "asr" and t["synthesize_instructions"].pool == "llm"
    # Cue scoring and verification may ask a model server too (the LLM scorer and judge).
    assert t["pair_and_separate_cues"].pool == "llm" and t["verify_instructions"].pool == "llm"
    assert t["acquire_video"].pool == "youtube"
    assert {t["transcribe_video"].queue, t["synthesize_instructions"].queue} == {"gpu"}
    assert t["check_videos"].trigger_rule == "all_done"
    assert [o.uri for o in t["gate_verification"].outlets] == ["ophin://instructions/verified"]


def test_process_takes_its_urls_from_the_conf_and_every_triggering_crawl() -> None:
    from types import SimpleNamespace

    from airflow.sdk import Asset

    from ophin.orchestration.dag_glue import ACQUIRED, urls_of

    crawls = {
        ACQUIRED: [
            SimpleNamespace(extra={"urls": ["http://h/a.mp4", "http://h/b.mp4"], "crawl_run": "1"}),
            SimpleNamespace(extra={"urls": ["HTTP://H/b.mp4#t=3"]}),  # the same video, spelled otherwise
            SimpleNamespace(extra=None),
        ],
        Asset("ophin://instructions/verified"): [SimpleNamespace(extra={"urls": ["http://h/other.mp4"]})],
    }
    assert urls_of({"urls": ["http://h/c.mp4"]}, crawls) == [
        "http://h/c.mp4",
        "http://h/a.mp4",
        "http://h/b.mp4",
    ]
    assert urls_of({"urls": []}, {}) == []
