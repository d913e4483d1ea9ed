"""Airflow glue for the DAG files: the one module under ophin/ that imports Airflow.

Task bodies stay one line in dags/; what they share (services for the running task instance, turning
stage failures into task failures, the gates between stages) lives here. At module level it imports
Airflow only: the DAG files import it while they parse, and the engine loads inside the task bodies.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, get_current_context
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

if TYPE_CHECKING:
    from ophin.services import Services

# Retries with exponential backoff for a transient failure (a host that drops the connection, a worker
# that died); a refused URL or a file that is not a video fails at once (AirflowFailException).
DEFAULT_ARGS: dict[str, Any] = {
    "retries": 2,
    "retry_delay": timedelta(seconds=20),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}
UNIT_LABEL = "{{ unit_label }}"  # map_index_template: a video's title (or URL) in the UI, not 0, 1, 2
# Updated when a batch passes its last gate: ophin_release is scheduled on it.
VERIFIED = Asset("ophin://instructions/verified")
# Updated when a crawl downloaded new videos (their URLs in the event's extra): ophin_process runs on it.
ACQUIRED = Asset("ophin://videos/acquired")


def _label(unit: dict[str, Any]) -> None:
    get_current_context()["unit_label"] = unit["label"]  # type: ignore[typeddict-unknown-key]


def services() -> Services:
    """Services for this task instance: every stage_run it records names the task that ran it."""
    from ophin.db.migrate import SchemaNotReady, require_head
    from ophin.db.session import get_engine
    from ophin.services import build_services
    from ophin.settings import get_settings

    context = get_current_context()
    ti = context["ti"]
    settings = get_settings()
    try:
        require_head(get_engine(settings))
    except SchemaNotReady as exc:
        raise AirflowFailException(str(exc)) from exc
    origin = {
        "dag_id": ti.dag_id,
        "run_id": context["run_id"],
        "task_id": ti.task_id,
        "map_index": ti.map_index,
        "try_number": ti.try_number,
    }
    return build_services(settings, runner=f"airflow:{context['run_id']}", origin=origin)


def run_urls() -> list[str]:
    """This run's URLs: the `urls` param, and the new videos of the crawls whose asset events triggered it."""
    context = get_current_context()
    return urls_of(context["params"], context.get("triggering_asset_events") or {})


def urls_of(params: dict[str, Any], triggering_events: Any) -> list[str]:  # noqa: ANN401 - Airflow's accessor
    """The `urls` param, then every ACQUIRED event's URLs, canonical and each once, in order."""
    from ophin.domain.urls import canonical_url

    urls = list(params.get("urls") or [])
    for event in triggering_events.get(ACQUIRED, ()) if triggering_events else ():
        urls += (event.extra or {}).get("urls", [])
    return list(dict.fromkeys(canonical_url(u) for u in urls))


def _raise_failures(report: Any) -> None:  # noqa: ANN401 - ophin.pipeline.BatchReport
    from ophin.acquisition.fetch_policy import FetchRefused
    from ophin.adapters.media import MediaError

    if not report.failures:
        return
    message = "; ".join(str(f) for f in report.failures[:10])
    if all(isinstance(f.cause, FetchRefused | MediaError) for f in report.failures):
        raise AirflowFailException(message)  # refused or not a video: a retry cannot help
    raise RuntimeError(message)


def acquire_unit(unit: dict[str, Any]) -> list[str]:
    """Acquire a unit's URLs, on OPHIN_RUN__WORKERS threads; the rest of the unit proceeds when one fails,
    then the task fails."""
    from ophin.pipeline import acquire_urls

    _label(unit)
    svc = services()
    report = acquire_urls(unit["keys"], svc, workers=svc.settings.run.worker_count())
    _raise_failures(report)
    return [str(v) for v in report.videos]


def stage_unit(stages: tuple[str, ...], unit: dict[str, Any]) -> None:
    """Run these per-video stages, in order, on each video of the unit (each skips when up to date).

    The unit's videos overlap on OPHIN_RUN__WORKERS threads, as in `ophin run --workers`, when the stages
    read nothing of other videos (verify does: it runs them one by one).
    """
    from ophin.pipeline import ISOLATED_STAGES, run_video_stage
    from ophin.stages.base import StageFailed

    _label(unit)
    svc = services()

    def run(key: str) -> list[Exception]:
        failures: list[Exception] = []
        for stage in stages:
            try:
                result = run_video_stage(stage, uuid.UUID(key), svc)
            except StageFailed as failure:
                failures.append(failure)
                break
            if result.status == "partial":
                failures.append(RuntimeError(f"{stage} {key}: {result.output.get('failed')} item(s) failed"))
        return failures

    workers = svc.settings.run.worker_count() if ISOLATED_STAGES.issuperset(stages) else 1
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(unit["keys"])))) as pool:
        failures = [f for found in pool.map(run, unit["keys"]) for f in found]
    if failures:
        raise RuntimeError("; ".join(str(f) for f in failures[:10]))


def gate(stages: tuple[str, ...], previous_gate: str | None) -> list[dict[str, Any]]:
    """The gates of these stages over the batch; the units the next stage runs on.

    The batch is what the previous gate passed on; with no previous gate, the videos this run's URLs
    resolved to. A failed gate fails this task, and every later stage and gate of the run is skipped.
    """
    from ophin.orchestration.batches import keys_of, video_units
    from ophin.pipeline import acquired_videos, gate_stage, ready_videos

    context = get_current_context()
    if previous_gate is None:
        svc = services()
        candidates = acquired_videos(run_urls(), svc)
    else:
        passed_on = context["ti"].xcom_pull(task_ids=previous_gate)
        if passed_on is None:
            raise AirflowSkipException(f"the batch stopped before this gate (at or before {previous_gate})")
        svc = services()
        candidates = [uuid.UUID(k) for k in keys_of(passed_on)]
    for stage in stages:
        candidates = ready_videos(stage, candidates, svc)
        if not candidates:
            continue
        result = gate_stage(stage, candidates, svc)
        if not result.success:
            raise AirflowFailException(f"{result.summary} [{result.batch_key}]")
    return video_units(candidates, svc)


def verdict(urls: list[str], videos: list[uuid.UUID] | None = None, svc: Services | None = None) -> int:
    """The run's last word: it fails, naming them, when any URL, video stage or gate of the batch (its
    URLs, the videos they resolved to, and `videos`) did not pass."""
    from ophin.pipeline import unfinished

    problems = unfinished(urls, svc or services(), videos or ())
    if problems:
        raise AirflowFailException(f"{len(problems)} problem(s): " + "; ".join(problems[:20]))
    return len(urls) + len(videos or ())


def backfill_units(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The backfill plan for these DAG params, as units: URLs to fetch again, then videos to re-run."""
    from ophin.orchestration.batches import units
    from ophin.pipeline import BackfillFilter, plan_backfill

    fields = ("stage", "error_class", "since", "until")
    try:
        which = BackfillFilter.parse(*(params.get(f) for f in fields), params.get("videos") or ())
    except ValueError as exc:
        raise AirflowFailException(f"bad params: {exc}") from exc  # a retry cannot mend a typo
    svc = services()
    plan = plan_backfill(svc, which)
    refetch = {str(v) for v in plan.refetch}
    keys = plan.urls + [str(v) for v in plan.videos]
    out = units(keys, {}, svc.settings.airflow.max_mapped)
    for unit in out:
        unit["refetch"] = [k for k in unit["keys"] if k in refetch]
    return out


def backfill_unit(unit: dict[str, Any]) -> None:
    from ophin.pipeline import backfill_entity

    _label(unit)
    svc = services()
    for key in unit["keys"]:
        _raise_failures(backfill_entity(key, svc, refetch=key in unit.get("refetch", ())))


def gate_and_verdict(planned: list[dict[str, Any]]) -> int:
    """Gate the backfilled videos (every stage, in order); fail naming any gate or stage still not passed."""
    from ophin.orchestration.batches import keys_of
    from ophin.pipeline import acquired_videos, gate_all

    svc = services()
    keys = keys_of(planned)
    urls = [k for k in keys if "://" in k]
    videos = list(
        dict.fromkeys([*acquired_videos(urls, svc), *(uuid.UUID(k) for k in keys if "://" not in k)])
    )
    failed = [g for g in gate_all(videos, svc) if not g.success]
    if failed:
        raise AirflowFailException(f"{failed[0].summary} [{failed[0].batch_key}]")
    return verdict(urls, videos, svc)


def release(formats: list[str], kinds: list[str], out: str | None) -> dict[str, Any]:
    """The same export the CLI runs: to the object store under the release prefix; `out` adds a local copy."""
    from pathlib import Path

    from ophin.stages.export import EmptyRelease, export_release

    try:
        result = export_release(
            Path(out) if out else None, svc=services(), formats=formats or None, kinds=kinds
        )
    except EmptyRelease as exc:  # a batch with nothing accepted publishes nothing; the run stays green
        raise AirflowSkipException(str(exc)) from None
    return {
        "release_id": result.release_id,
        "records": result.records,
        "splits": {s: c["records"] for s, c in result.splits.items()},
        "location": result.location,
        "published": result.published,
    }


def crawl_open(params: dict[str, Any]) -> list[str]:
    """Open this run's crawl_run (its id derives from the Airflow run id) and list the sources to read."""
    from ophin.orchestration.crawl_runs import enabled_sources, open_run

    svc = services()
    wanted = set(params.get("sources") or ())
    sources = [str(s.id) for s in enabled_sources(svc) if not wanted or str(s.id) in wanted]
    open_run(svc, get_current_context()["run_id"], [uuid.UUID(s) for s in sources])
    return sources


def _crawl_run_id() -> uuid.UUID:
    from ophin.domain.ids import make_id

    return make_id("crawl_run", get_current_context()["run_id"])


def crawl_discover(source_id: str) -> dict[str, Any]:
    """One source's discovery into this run's crawl; a failure is recorded, not raised (see crawl_close)."""
    from ophin.orchestration.crawl_runs import discover, enabled_sources

    svc = services()
    source = next((s for s in enabled_sources(svc) if str(s.id) == source_id), None)
    label = (source.name or source.target) if source else source_id
    get_current_context()["unit_label"] = label[:100]  # type: ignore[typeddict-unknown-key]
    return discover(svc, _crawl_run_id(), [uuid.UUID(source_id)]).as_json()


def crawl_download() -> dict[str, Any]:
    from ophin.orchestration.crawl_runs import download

    return download(services(), _crawl_run_id()).as_json()


def crawl_hand_over(part: dict[str, Any] | None) -> dict[str, Any]:
    """The crawl's new videos as an ACQUIRED asset event (skipped when there are none)."""
    urls = (part or {}).get("urls") or []
    if not urls:
        raise AirflowSkipException("no new videos to process")
    extra = {"urls": urls, "crawl_run": str(_crawl_run_id())}
    get_current_context()["outlet_events"][ACQUIRED].extra = extra
    return extra


def crawl_close() -> dict[str, Any]:
    """Close the crawl_run with what every task reported; fail, saying what, unless it succeeded."""
    from ophin.orchestration.crawl_runs import CrawlPart, close_run

    ti = get_current_context()["ti"]
    pulled = []
    for task_id in ("discover_source", "download_videos"):
        got = ti.xcom_pull(task_ids=task_id)
        pulled += got if isinstance(got, list) else [got]
    parts = [CrawlPart(**p) for p in pulled if p]
    report = close_run(services(), _crawl_run_id(), parts)
    if report.status != "succeeded":
        raise AirflowFailException(f"crawl {report.status}: {report.error} (a later crawl resumes it)")
    return {"crawl_run": str(report.run_id), "counts": report.counts, "rejected": report.rejected}
