"""ophin_crawl: daily discovery over every enabled source, licence-gated downloads, new videos handed on."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param, get_current_context, task

from ophin.orchestration.dag_glue import ACQUIRED, DEFAULT_ARGS

with DAG(
    dag_id="ophin_crawl",
    description="Sources -> new candidates (metadata only) -> accepted licences downloaded -> ophin_process.",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,  # a crawl reads what is new now; missed days add nothing a later crawl would not find
    max_active_runs=1,
    tags=["ophin"],
    default_args=DEFAULT_ARGS,
    params={
        "sources": Param([], type="array", items={"type": "string"}, description="Source ids (default all)."),
    },
) as dag:

    @task
    def plan_sources() -> list[str]:
        from ophin.orchestration.dag_glue import crawl_open

        return crawl_open(get_current_context()["params"])

    # The youtube pool (one slot by default) keeps one request stream at a time towards the hosts.
    @task(pool="youtube", map_index_template="{{ unit_label }}")
    def discover_source(source_id: str) -> dict:
        from ophin.orchestration.dag_glue import crawl_discover

        return crawl_discover(source_id)

    @task(pool="youtube", trigger_rule="all_done")
    def download_videos() -> dict:
        from ophin.orchestration.dag_glue import crawl_download

        return crawl_download()

    @task(outlets=[ACQUIRED])
    def hand_over(part: dict) -> dict:
        from ophin.orchestration.dag_glue import crawl_hand_over

        return crawl_hand_over(part)

    @task(trigger_rule="all_done", retries=0)
    def close_crawl() -> dict:
        from ophin.orchestration.dag_glue import crawl_close

        return crawl_close()

    downloaded = download_videos()
    discover_source.expand(source_id=plan_sources()) >> downloaded
    hand_over(downloaded)
    downloaded >> close_crawl()
