"""The whole engine for a batch of URLs: each video through every stage; one bad video stops nothing else."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import select

from ophin.db.models import QualityRun, StageState, VideoAlias, VideoGate
from ophin.db.session import session_scope
from ophin.db.stage_runs import USABLE, fail_abandoned, failed_entities, runs_failed_with
from ophin.domain.urls import canonical_url
from ophin.quality.gates import GateResult, check_batch
from ophin.services import Services
from ophin.stages.acquire import acquire_video, videos_for
from ophin.stages.base import StageFailed, StageResult
from ophin.stages.common import InputMissing
from ophin.stages.registry import STAGES, VIDEO_STAGES, params_for

Progress = Callable[[str, str], None]  # (entity, stage) -> None
log = logging.getLogger("ophin.pipeline")


STAGE_NAMES = tuple(STAGES)  # in order (ophin/stages/registry.py)


@dataclass
class BatchReport:
    videos: list[uuid.UUID] = field(default_factory=list)
    failures: list[StageFailed] = field(default_factory=list)
    partial: list[StageResult] = field(default_factory=list)  # stages where some items failed
    gates: list[GateResult] = field(default_factory=list)  # in stage order; the last failed one stopped it

    @property
    def stopped_at(self) -> GateResult | None:
        """The gate that failed and stopped the batch (nothing downstream of it ran), if any."""
        return next((g for g in self.gates if not g.success), None)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.partial and self.stopped_at is None


def gate_stage(stage: str, videos: list[uuid.UUID], svc: Services) -> GateResult:
    """The stage's expectation suite over these videos' output, recorded (it does not raise)."""
    return check_batch(svc.sessions, stage, videos, svc.settings.gates, svc.origin)


def stage_waves(workers: int = 1) -> list[tuple[str, ...]]:
    """The per-video stages in the order a batch runs them, grouped into waves that may run side by side.

    With one worker every stage is its own wave (a failed gate stops the batch before the next stage).
    With more, a wave holds every stage whose upstream stages ran in earlier waves: transcribe and keyframes
    both read only the media, so they run together (as in the DAG), and their gates follow the wave.
    """
    if workers <= 1:
        return [(name,) for name in VIDEO_STAGES]
    waves: list[tuple[str, ...]] = []
    done: set[str] = set()
    while len(done) < len(VIDEO_STAGES):
        wave = tuple(n for n, s in VIDEO_STAGES.items() if n not in done and done.issuperset(s.upstream))
        waves.append(wave)
        done.update(wave)
    return waves


# Stages whose work on one video reads nothing of another's, so several videos may run at once (declared).
ISOLATED_STAGES = frozenset(name for name, spec in VIDEO_STAGES.items() if spec.isolated)


def process_videos(
    videos: list[uuid.UUID],
    svc: Services,
    params: SimpleNamespace,
    report: BatchReport,
    *,
    progress: Progress | None = None,
    gate: bool = True,
    workers: int = 1,
) -> None:
    """Every per-video stage over the batch, wave by wave (see stage_waves), a gate after each stage.

    workers: videos (and the stages of a wave) worked on at once by a thread pool; the rows are the same
    as with one worker. A failed stage blocks only the stages of that video that read from it; a failed
    gate stops the whole batch there (what it checked is in quality_run, and no later stage runs on output
    it refused).
    """
    blocked: dict[uuid.UUID, set[str]] = {vid: set() for vid in videos}
    for wave in stage_waves(workers):
        jobs: list[tuple[str, uuid.UUID]] = []
        for vid in videos:  # video-major: one video's transcription overlaps another's decoding
            for name in wave:
                if blocked[vid].intersection(VIDEO_STAGES[name].upstream):
                    blocked[vid].add(name)
                else:
                    jobs.append((name, vid))
        parallel = workers if ISOLATED_STAGES.issuperset(wave) else 1
        ran: dict[str, list[uuid.UUID]] = {name: [] for name in wave}
        for (name, vid), outcome in zip(jobs, _run_jobs(jobs, svc, params, parallel, progress), strict=True):
            if isinstance(outcome, StageFailed):
                report.failures.append(outcome)
                blocked[vid].add(name)
                continue
            if outcome.status == "partial":
                report.partial.append(outcome)
            ran[name].append(vid)
        for name in wave:
            if gate and ran[name]:
                report.gates.append(gate_stage(name, ran[name], svc))
                if report.stopped_at:
                    return


def _run_jobs(
    jobs: list[tuple[str, uuid.UUID]],
    svc: Services,
    params: SimpleNamespace,
    workers: int,
    progress: Progress | None,
) -> list[StageResult | StageFailed]:
    """Each (stage, video) job's result or failure, in job order; up to `workers` at once."""

    def run(job: tuple[str, uuid.UUID]) -> StageResult | StageFailed:
        name, vid = job
        if progress:
            progress(str(vid), name)
        try:
            return VIDEO_STAGES[name].function(vid, getattr(params, name), svc=svc)
        except StageFailed as failure:
            return failure

    if workers <= 1 or len(jobs) <= 1:
        return [run(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ophin-stage") as pool:
        return list(pool.map(run, jobs))


def acquire_urls(
    urls: Iterable[str],
    svc: Services,
    report: BatchReport | None = None,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> BatchReport:
    """Acquire each URL once (canonical spelling), up to `workers` at once (a download waits on the network,
    its checks on ffmpeg); the distinct videos they hold go into the report in URL order, as with one."""
    params, report = params_for(svc), report or BatchReport()

    def acquire(url: str) -> StageResult | StageFailed:
        if progress:
            progress(url, "acquire")
        try:
            return acquire_video(url, params.acquire, svc=svc)
        except StageFailed as failure:
            return failure

    unique = list(dict.fromkeys(canonical_url(u) for u in urls))
    if workers > 1 and len(unique) > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ophin-acquire") as pool:
            outcomes = list(pool.map(acquire, unique))
    else:
        outcomes = [acquire(url) for url in unique]
    for outcome in outcomes:
        if isinstance(outcome, StageFailed):
            report.failures.append(outcome)
            continue
        vid = uuid.UUID(outcome.output["video_id"])
        if vid not in report.videos:  # another URL of this batch may have had the same content
            report.videos.append(vid)
    return report


def run_urls(
    urls: Iterable[str],
    svc: Services,
    *,
    progress: Progress | None = None,
    gate: bool = True,
    workers: int = 1,
) -> BatchReport:
    report = acquire_urls(urls, svc, workers=workers, progress=progress)
    return run_batch(report, svc, progress=progress, gate=gate, workers=workers)


def run_batch(
    report: BatchReport,
    svc: Services,
    *,
    progress: Progress | None = None,
    gate: bool = True,
    workers: int = 1,
) -> BatchReport:
    """The report's acquired videos as one batch: acquisition's gate, then every per-video stage."""
    if gate and report.videos:
        report.gates.append(gate_stage("acquire", report.videos, svc))
        if report.stopped_at:
            return report
    process_videos(report.videos, svc, params_for(svc), report, progress=progress, gate=gate, workers=workers)
    return report


@dataclass(frozen=True)
class BackfillFilter:
    """Which failed or partial work to re-run: a stage, an error class, when it failed, which videos."""

    stage: str | None = None
    error_class: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    videos: tuple[uuid.UUID, ...] = ()

    def __post_init__(self) -> None:
        if self.stage is not None and self.stage not in STAGE_NAMES:
            raise ValueError(f"unknown stage {self.stage!r}; choose one of {', '.join(STAGE_NAMES)}")

    @classmethod
    def parse(
        cls,
        stage: str | None = None,
        error_class: str | None = None,
        since: str | None = None,
        until: str | None = None,
        videos: Iterable[str] = (),
    ) -> BackfillFilter:
        """From text (the CLI's options, the DAG's params): ISO times, video ids; ValueError when bad."""
        return cls(
            stage=stage or None,
            error_class=error_class or None,
            since=datetime.fromisoformat(since) if since else None,
            until=datetime.fromisoformat(until) if until else None,
            videos=tuple(uuid.UUID(v) for v in videos),
        )


@dataclass(frozen=True)
class BackfillPlan:
    urls: list[str]  # acquisitions that failed: fetched again
    videos: list[uuid.UUID]  # videos with a failed or partial stage: re-run from there on
    refetch: list[uuid.UUID]  # of those, the ones whose media vanished from the store


def plan_backfill(svc: Services, which: BackfillFilter) -> BackfillPlan:
    """What a backfill would re-run: read from stage_state and the attempts behind it, nothing changed
    except that attempts whose worker died are first marked failed (AbandonedAttempt)."""
    with session_scope(svc.sessions) as session:
        fail_abandoned(session, which.stage)
    with session_scope(svc.sessions) as session:
        failed = failed_entities(
            session,
            which.stage,
            error_class=which.error_class,
            since=which.since,
            until=which.until,
            videos=list(which.videos),
        )
        missing_media = runs_failed_with(session, [s.stage_run_id for s in failed], InputMissing.__name__)
    urls = list(dict.fromkeys(s.entity_key for s in failed if s.stage == "acquire"))
    videos = list(dict.fromkeys(uuid.UUID(s.entity_key) for s in failed if s.stage != "acquire"))
    refetch = list(dict.fromkeys(uuid.UUID(s.entity_key) for s in failed if s.stage_run_id in missing_media))
    return BackfillPlan(urls, videos, refetch)


def backfill(
    which: BackfillFilter | str, svc: Services, *, progress: Progress | None = None, gate: bool = True
) -> BatchReport:
    """Re-run exactly the selected failed, partial or abandoned work, and what reads from it.

    Only the failed items of a partial stage are redone (ids are deterministic, writes are upserts: nothing
    is duplicated); a stage that failed because its media vanished from the store re-acquires it first.
    The re-run videos pass the same gates as any batch.
    """
    which = BackfillFilter(stage=which) if isinstance(which, str) else which
    plan = plan_backfill(svc, which)
    log.info("backfill: %d URL(s), %d video(s) to re-run", len(plan.urls), len(plan.videos))
    report = acquire_urls(plan.urls, svc)
    params = params_for(svc)
    for vid in plan.videos:
        if vid not in report.videos and (vid not in plan.refetch or _reacquire(vid, svc, params, report)):
            report.videos.append(vid)
    return run_batch(report, svc, progress=progress, gate=gate)


def _reacquire(vid: uuid.UUID, svc: Services, params: SimpleNamespace, report: BatchReport) -> bool:
    """Fetch a video's media again from the URL it came from (its object was lost or corrupted)."""
    with session_scope(svc.sessions) as session:
        urls = session.scalars(select(VideoAlias.url).where(VideoAlias.video_id == vid)).all()
    if not urls:
        report.failures.append(
            StageFailed("acquire", str(vid), InputMissing("no URL is known for this video"))
        )
        return False
    try:
        acquire_video(urls[0], params.acquire, svc=svc, force=True)
    except StageFailed as failure:
        report.failures.append(failure)
        return False
    return True


def run_video_stage(name: str, vid: uuid.UUID, svc: Services) -> StageResult:
    """One per-video stage by name (what an Airflow task calls)."""
    if name not in VIDEO_STAGES:
        raise ValueError(f"unknown stage {name!r}")
    spec = VIDEO_STAGES[name]
    return spec.function(vid, spec.params(svc), svc=svc)  # its own params, not every stage's


def unfinished(urls: Iterable[str], svc: Services, videos: Iterable[uuid.UUID] = ()) -> list[str]:
    """One line per URL, video stage or gate of this batch (its URLs, the videos they resolved to, and
    `videos`) that did not succeed; a stage that a failed gate kept from running reads "never ran"."""
    canonical = list(dict.fromkeys(canonical_url(u) for u in urls))
    with session_scope(svc.sessions) as session:
        states = session.scalars(select(StageState).where(StageState.entity_key.in_(canonical))).all()
        lines = [f"acquire {s.entity_key}: {s.status}" for s in states if s.status != "succeeded"]
        missing = set(canonical) - {s.entity_key for s in states}
        lines += [f"acquire {url}: never ran" for url in sorted(missing)]
        batch = list(dict.fromkeys([*videos_for(session, canonical).values(), *videos]))
        by_video = {
            (s.entity_key, s.stage): s.status
            for s in session.scalars(
                select(StageState).where(StageState.entity_key.in_([str(v) for v in batch]))
            )
        }
        for vid in batch:
            for stage in VIDEO_STAGES:
                status = by_video.get((str(vid), stage), "never ran")
                if status != "succeeded":
                    lines.append(f"{stage} {vid}: {status}")
        failed_gates = session.execute(
            select(VideoGate.stage, VideoGate.video_id, QualityRun.summary)
            .join(QualityRun, QualityRun.id == VideoGate.quality_run_id)
            .where(VideoGate.video_id.in_(batch), VideoGate.success.is_(False))
        ).all()
        lines += [f"{stage} gate {vid}: {summary}" for stage, vid, summary in failed_gates]
    return lines


def ready_videos(stage: str, videos: Iterable[uuid.UUID], svc: Services) -> list[uuid.UUID]:
    """Those videos whose state at `stage` is usable by the stages that read it (succeeded or partial)."""
    wanted = list(videos)
    if stage == "acquire":
        return wanted  # acquisition is keyed by URL: a video exists only once it was acquired
    with session_scope(svc.sessions) as session:
        usable = set(
            session.scalars(
                select(StageState.entity_key).where(
                    StageState.stage == stage,
                    StageState.entity_key.in_([str(v) for v in wanted]),
                    StageState.status.in_(USABLE),
                )
            )
        )
    return [v for v in wanted if str(v) in usable]


def acquired_videos(urls: Iterable[str], svc: Services) -> list[uuid.UUID]:
    """The distinct videos those URLs resolved to (failed acquisitions have none)."""
    with session_scope(svc.sessions) as session:
        return list(dict.fromkeys(videos_for(session, list(urls)).values()))


def gate_all(videos: list[uuid.UUID], svc: Services) -> list[GateResult]:
    """Every stage's gate over the videos ready at it, in order, up to the first that fails."""
    results: list[GateResult] = []
    for stage in STAGE_NAMES:
        ready = ready_videos(stage, videos, svc)
        if not ready:
            continue
        results.append(gate_stage(stage, ready, svc))
        if not results[-1].success:
            break
    return results


def backfill_entity(key: str, svc: Services, *, refetch: bool = False) -> BatchReport:
    """One entity of a backfill plan (a URL whose acquisition failed, or a video), ungated: the caller
    gates the whole plan's videos once they are all done (what the ophin_backfill DAG's tasks do)."""
    report = BatchReport()
    if "://" in key:
        acquire_urls([key], svc, report)
    elif not refetch or _reacquire(uuid.UUID(key), svc, params_for(svc), report):
        report.videos.append(uuid.UUID(key))
    return run_batch(report, svc, gate=False)
