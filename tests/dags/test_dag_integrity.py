"""Every DAG file parses offline, fast, without import errors (Astronomer's DAG-integrity test)."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.dags.conftest import DAGS_DIR


def test_dag_files_import_without_ophin_or_network() -> None:
    # A fresh interpreter: parsing must not import the engine (heavy) or touch a database.
    code = (
        "import sys, time, runpy; t = time.time();"
        f"runpy.run_path({str(DAGS_DIR / 'ophin_pipeline.py')!r});"
        "print(time.time() - t, any(m == 'ophin' or m.startswith('ophin.') for m in sys.modules))"
    )
    start = time.time()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, imported_ophin = out.stdout.split()
    assert imported_ophin == "False"
    assert time.time() - start < 60


def test_dagbag_loads_ophin_pipeline(airflow_env) -> None:  # noqa: ANN001
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    dag = bag.dags["ophin_pipeline"]
    ids = set(dag.task_dict)
    for stage in (
        "acquire_video",
        "transcribe_video",
        "extract_keyframes",
        "pair_frames",
        "separate_visual_cues",
        "synthesize_instructions",
        "verify_instructions",
    ):
        assert f"per_video.{stage}" in ids
    assert {"list_urls", "quality_gate", "export_release"} <= ids
