"""ophin_process: a batch of video URLs through every stage, fanned out per video, a gate after each stage."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param, task

from ophin.orchestration.dag_glue import ACQUIRED, DEFAULT_ARGS, UNIT_LABEL, VERIFIED

# The engine is imported inside tasks: this file parses offline in milliseconds.

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

    @task(pool="youtube", map_index_template=UNIT_LABEL)
    def acquire_video(unit: dict) -> list[str]:
        from ophin.orchestration.dag_glue import acquire_unit

        return acquire_unit(unit)

    def stage_task(task_id: str, stages: tuple[str, ...], **kwargs: object):  # noqa: ANN202
        @task(task_id=task_id, map_index_template=UNIT_LABEL, **kwargs)
        def run_stages(unit: dict) -> None:
            from ophin.orchestration.dag_glue import stage_unit

            stage_unit(stages, unit)

        return run_stages

    def gate_task(task_id: str, stages: tuple[str, ...], previous: str | None, **kwargs: object):  # noqa: ANN202
        @task(task_id=task_id, trigger_rule="all_done", retries=0, **kwargs)
        def run_gate() -> list[dict]:
            from ophin.orchestration.dag_glue import gate

            return gate(stages, previous)

        return run_gate()

    transcribe = stage_task("transcribe_video", ("transcribe",), pool="asr", queue="gpu")
    keyframes = stage_task("extract_keyframes", ("keyframes",))
    # Pairing and rule cue scoring do 0.1-0.2 s of work each: one task per video saves a task's start-up.
    # Cue scoring, synthesis and verification may ask a model server (the LLM scorer and judge): the llm pool
    # bounds how many videos do at once; each keeps up to OPHIN_LLM__MAX_IN_FLIGHT requests in flight.
    pair_cues = stage_task("pair_and_separate_cues", ("pair", "cues"), pool="llm")
    synthesize = stage_task("synthesize_instructions", ("synthesize",), pool="llm", queue="gpu")
    verify = stage_task("verify_instructions", ("verify",), pool="llm")

    @task(trigger_rule="all_done", retries=0)
    def check_videos() -> int:
        """The run's verdict: failed, naming them, when any URL, stage or gate of the batch did not pass."""
        from ophin.orchestration.dag_glue import run_urls, verdict

        return verdict(run_urls())

    gate_acquire = gate_task("gate_acquire", ("acquire",), None)
    acquire_video.expand(unit=plan_urls()) >> gate_acquire
    gate_media = gate_task("gate_media", ("transcribe", "keyframes"), "gate_acquire")
    [transcribe.expand(unit=gate_acquire), keyframes.expand(unit=gate_acquire)] >> gate_media
    gate_cues = gate_task("gate_pairs_cues", ("pair", "cues"), "gate_media")
    pair_cues.expand(unit=gate_media) >> gate_cues
    gate_synthesis = gate_task("gate_synthesis", ("synthesize",), "gate_pairs_cues")
    synthesize.expand(unit=gate_cues) >> gate_synthesis
    gate_verify = gate_task("gate_verification", ("verify",), "gate_synthesis", outlets=[VERIFIED])
    verify.expand(unit=gate_synthesis) >> gate_verify >> check_videos()
