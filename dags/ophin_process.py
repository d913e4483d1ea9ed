"""ophin_process: a batch of video URLs through every stage, fanned out per video, a gate after each stage."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from airflow.sdk import DAG, Param, task

from ophin.orchestration.dag_glue import ACQUIRED, DEFAULT_ARGS, UNIT_LABEL, VERIFIED

# The engine is imported inside tasks: this file parses offline in milliseconds. Its tasks and gates come
# from the stage registry (ophin/stages/registry.py), written out as data by
# `python -m ophin.stages.registry > dags/ophin_process_stages.json` (a test fails when the file is stale).
SHAPE = json.loads(Path(__file__).with_name("ophin_process_stages.json").read_text())

with DAG(
    dag_id="ophin_process",
    description="Videos in, verified instructions out; a failed video fails only its own tasks.",
    schedule=[ACQUIRED],  # each crawl that downloaded new videos; trigger with conf {"urls": [...]} too
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=2,
    tags=["ophin"],
    default_args=DEFAULT_ARGS,
    params={"urls": Param([], type="array", items={"type": "string"}, description="Video URLs.")},
) as dag:

    @task
    def plan_urls() -> list[dict]:
        from ophin.orchestration.batches import units
        from ophin.orchestration.dag_glue import run_urls, services

        svc = services()  # fails at once, saying `ophin airflow init`, on a database without the schema
        return units(run_urls(), {}, svc.settings.airflow.max_mapped)

    def work_task(spec: dict):  # noqa: ANN202
        """A stage task: acquire works on a unit of URLs, the others on a unit of videos, in order."""
        stages = tuple(spec["stages"])
        options = {key: spec[key] for key in ("pool", "queue") if spec[key]}

        @task(task_id=spec["id"], map_index_template=UNIT_LABEL, **options)
        def run_stages(unit: dict) -> list[str] | None:
            from ophin.orchestration.dag_glue import acquire_unit, stage_unit

            if stages == ("acquire",):
                return acquire_unit(unit)
            stage_unit(stages, unit)
            return None

        return run_stages

    def gate_task(task_id: str, stages: tuple[str, ...], previous: str | None, **kwargs: object):  # noqa: ANN202
        @task(task_id=task_id, trigger_rule="all_done", retries=0, **kwargs)
        def run_gate() -> list[dict]:
            from ophin.orchestration.dag_glue import gate

            return gate(stages, previous)

        return run_gate()

    @task(trigger_rule="all_done", retries=0)
    def check_videos() -> int:
        """The run's verdict: failed, naming them, when any URL, stage or gate of the batch did not pass."""
        from ophin.orchestration.dag_glue import run_urls, verdict

        return verdict(run_urls())

    # Each gate's tasks run side by side on what the previous gate passed on (the first on the planned
    # URLs); the gate checks their stages; the last gate announces the verified instructions.
    units, previous = plan_urls(), None
    for group in SHAPE:
        last = group is SHAPE[-1]
        checked = gate_task(group["id"], tuple(group["stages"]), previous, outlets=[VERIFIED] if last else [])
        [work_task(spec).expand(unit=units) for spec in group["tasks"]] >> checked
        units, previous = checked, group["id"]
    checked >> check_videos()
