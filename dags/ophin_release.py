"""ophin_release: a release of the verified, gated instructions, after every passing batch or on demand."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param, get_current_context, task

from ophin.orchestration.dag_glue import DEFAULT_ARGS, VERIFIED

with DAG(
    dag_id="ophin_release",
    description="A release (LLaVA, ShareGPT, Hugging Face; card, splits, manifest) of every instruction that "
    "passed every gate, to the object store's release prefix.",
    schedule=[VERIFIED],  # each batch that passes its last gate; trigger by hand for one on demand
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["ophin"],
    default_args=DEFAULT_ARGS,
    params={
        "formats": Param(
            [],
            type="array",
            items={"type": "string", "enum": ["llava", "sharegpt", "hf"]},
            description="Release formats (empty: OPHIN_RELEASE__FORMATS).",
        ),
        "kinds": Param([], type="array", items={"type": "string"}, description="Kinds (empty: all)."),
        "out": Param("", type="string", description="Also copy the release to this folder (on the worker)."),
    },
) as dag:

    @task
    def export_release() -> dict:
        from ophin.orchestration.dag_glue import release

        params = get_current_context()["params"]
        return release(params["formats"], params["kinds"], params["out"] or None)

    export_release()
