"""ophin_pipeline: every URL through every stage, one mapped task group per video; tasks are thin glue."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, Param, get_current_context, task, task_group

# Heavy imports (ophin, torch, ffmpeg) happen inside tasks: this file parses offline in milliseconds.


def _services():  # noqa: ANN202
    from ophin.services import build_services
    from ophin.settings import get_settings

    context = get_current_context()
    ti = context["ti"]
    origin = {
        "dag_id": ti.dag_id,
        "task_id": ti.task_id,
        "map_index": ti.map_index,
        "try_number": ti.try_number,
        "run_id": context["run_id"],
    }
    return build_services(get_settings(), runner=f"airflow:{context['run_id']}", origin=origin)


def _stage(name: str, video_id: str) -> str:
    """Run one stage; it skips itself when its stored output is up to date with its params and inputs."""
    import uuid

    from ophin.pipeline import run_video_stage

    run_video_stage(name, uuid.UUID(video_id), _services())
    return video_id


with DAG(
    dag_id="ophin_pipeline",
    description="OphIn Engine: videos in, verified instruction dataset out, every row traced in Postgres.",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["ophin"],
    default_args={"retries": 1, "retry_delay": timedelta(minutes=1)},
    params={"urls": Param([], type="array", items={"type": "string"}, description="Video URLs to process.")},
) as dag:

    @task
    def list_urls() -> list[str]:
        from ophin.db.migrate import upgrade
        from ophin.db.session import get_engine
        from ophin.domain.urls import canonical_url
        from ophin.settings import get_settings

        # A fresh lineage database gets its schema here (idempotent, under an advisory lock), not as
        # "relation stage_run does not exist" in every task.
        upgrade(get_engine(get_settings()))
        urls = get_current_context()["params"]["urls"]
        return list(dict.fromkeys(canonical_url(u) for u in urls))

    @task
    def acquire_video(url: str) -> str:
        from airflow.exceptions import AirflowFailException

        from ophin.adapters.fetch_policy import FetchRefused
        from ophin.adapters.media import MediaError
        from ophin.pipeline import params_for
        from ophin.stages.acquire import acquire_video as acquire
        from ophin.stages.base import StageFailed

        svc = _services()
        try:
            return acquire(url, params_for(svc).acquire, svc=svc).output["video_id"]
        except StageFailed as failure:
            if isinstance(failure.cause, FetchRefused | MediaError):
                raise AirflowFailException(str(failure)) from failure  # refused or not a video: no retry
            raise

    @task(pool="asr")
    def transcribe_video(video_id: str) -> str:
        return _stage("transcribe", video_id)

    @task
    def extract_keyframes(video_id: str) -> str:
        return _stage("keyframes", video_id)

    @task
    def pair_frames(video_id: str, keyframed: str) -> str:
        return _stage("pair", video_id)

    @task
    def separate_visual_cues(video_id: str) -> str:
        return _stage("cues", video_id)

    @task(pool="llm")
    def synthesize_instructions(video_id: str) -> str:
        return _stage("synthesize", video_id)

    @task
    def verify_instructions(video_id: str) -> str:
        return _stage("verify", video_id)

    @task_group
    def per_video(url: str) -> None:
        acquired = acquire_video(url)
        paired = pair_frames(transcribe_video(acquired), extract_keyframes(acquired))
        verify_instructions(synthesize_instructions(separate_visual_cues(paired)))

    @task(trigger_rule="all_done")
    def quality_gate(urls: list[str]) -> dict:
        from ophin.pipeline import acquired_videos, gate_instructions

        svc = _services()
        gate = gate_instructions(acquired_videos(urls, svc), svc)  # raises QualityGateFailed
        return {"quality_run_id": str(gate.quality_run_id), "statistics": gate.statistics}

    @task
    def export_release() -> dict:
        from ophin.stages.export import export_release as export

        svc = _services()
        result = export(svc.settings.home_dir / "dataset", svc=svc)
        return {"release_id": result.release_id, "records": result.records, "location": str(result.out_dir)}

    @task(trigger_rule="all_done")
    def check_videos(urls: list[str]) -> int:
        """The run's verdict: it fails, naming them, when any video did not get through every stage."""
        from ophin.pipeline import unfinished

        problems = unfinished(urls, _services())
        if problems:
            raise RuntimeError(f"{len(problems)} stage(s) not succeeded: " + "; ".join(problems[:20]))
        return len(urls)

    urls = list_urls()
    processed = per_video.expand(url=urls)
    processed >> quality_gate(urls) >> export_release()
    processed >> check_videos(urls)
