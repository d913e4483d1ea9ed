"""ophin_backfill: re-run exactly the failed or partial work selected from Postgres, then gate it."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param, get_current_context, task

from ophin.orchestration.dag_glue import DEFAULT_ARGS, UNIT_LABEL

with DAG(
    dag_id="ophin_backfill",
    description="Failed or partial stage runs (by stage, error class, dates, video) re-run, not duplicated.",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["ophin"],
    default_args=DEFAULT_ARGS,
    params={
        "stage": Param(None, type=["null", "string"], description="Only entities failed at this stage."),
        "error_class": Param(None, type=["null", "string"], description="e.g. MediaError, AbandonedAttempt."),
        "since": Param(None, type=["null", "string"], description="Attempts started at or after (ISO)."),
        "until": Param(None, type=["null", "string"], description="Attempts started before (ISO)."),
        "videos": Param([], type="array", items={"type": "string"}, description="Only these video ids."),
    },
) as dag:

    @task
    def select_failed() -> list[dict]:
        from ophin.orchestration.dag_glue import backfill_units

        return backfill_units(get_current_context()["params"])

    @task(map_index_template=UNIT_LABEL)
    def backfill_entity(unit: dict) -> None:
        from ophin.orchestration.dag_glue import backfill_unit

        backfill_unit(unit)

    @task(trigger_rule="all_done", retries=0)
    def gate_backfilled(units: list[dict]) -> int:
        """Every stage gate over the re-run videos, then the verdict naming what is still not done."""
        from ophin.orchestration.dag_glue import gate_and_verdict

        return gate_and_verdict(units)

    planned = select_failed()
    backfill_entity.expand(unit=planned) >> gate_backfilled(planned)
