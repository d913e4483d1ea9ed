"""A crawl run: discovery over the enabled sources, then the download pass, recorded as one crawl_run row.

The CLI runs the parts in one process (`crawl`); the ophin_crawl DAG runs each part as its own task (one
per source for discovery) and closes the run with what every task reported.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ophin.acquisition.errors import AcquireError
from ophin.crawl.discover import Crawl, CrawlStopped, discover_source, judge_pending
from ophin.crawl.filters import CrawlFilters
from ophin.crawl.politeness import HostThrottle, Sleep
from ophin.crawl.sources import list_sources
from ophin.db.crawl_models import CrawlRun
from ophin.db.models import Video
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import make_id
from ophin.domain.text import plain_text
from ophin.services import Services
from ophin.stages.acquire_candidates import download_due

log = logging.getLogger("ophin.crawl")


@dataclass
class CrawlPart:
    """What one part of a crawl did (JSON-able: a DAG task hands it on through XCom)."""

    counts: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)  # rule -> count
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # source id -> its counts or error
    stopped: list[str] = field(default_factory=list)  # rate-limit storms that ended a part early
    urls: list[str] = field(default_factory=list)  # public URLs of newly downloaded videos
    invalid: list[str] = field(default_factory=list)  # listing lines rejected as no URL, with the reason

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CrawlReport:
    run_id: uuid.UUID
    status: str
    counts: dict[str, int]
    rejected: dict[str, int]
    sources: dict[str, dict[str, Any]]
    urls: list[str]
    error: str | None
    invalid: list[str] = field(default_factory=list)


class Terminated(BaseException):
    """SIGTERM, raised where the crawl is so that its run is closed on the way out. A BaseException, like
    KeyboardInterrupt: no per-source handler takes it for one source's failure."""


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While the block runs, SIGTERM raises Terminated in the main thread instead of ending the process."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; a worker thread's crawl relies on its lease
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated(f"terminated by {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def open_run(
    svc: Services, run_key: str | None = None, source_ids: list[uuid.UUID] | None = None
) -> uuid.UUID:
    """Record a running crawl; `run_key` (an Airflow run id) makes its id deterministic for retries.
    Crawls whose process died (their lease expired) are failed first."""
    reaped = reap_stale_runs(svc)
    if reaped:
        log.warning("crawl: %d crawl run(s) left running by a dead process closed as failed", reaped)
    run_id = make_id("crawl_run", run_key) if run_key else uuid.uuid4()
    sources = source_ids if source_ids is not None else [s.id for s in enabled_sources(svc)]
    row = {
        "id": run_id,
        "status": "running",
        "source_ids": [str(s) for s in sources],
        "origin": svc.origin,
        "started_at": datetime.now(UTC),
        "finished_at": None,
    }
    with session_scope(svc.sessions) as session:
        upsert(session, CrawlRun, [row])
        _renew_lease(session, run_id, svc.lease_s)  # one transaction: never seen running without a lease
    return run_id


def reap_stale_runs(svc: Services) -> int:
    """Fail every running crawl whose lease expired (on the database's clock): its process was killed
    or lost its host without closing the run. Runs from before leases count from their start."""
    with session_scope(svc.sessions) as session:
        now = session.scalar(select(func.now()))
        stale = session.scalars(
            select(CrawlRun)
            .where(CrawlRun.status == "running")
            .where(
                or_(
                    CrawlRun.lease_expires_at < now,
                    and_(
                        CrawlRun.lease_expires_at.is_(None),
                        CrawlRun.started_at < now - timedelta(seconds=svc.lease_s),
                    ),
                )
            )
            .with_for_update(skip_locked=True)
        ).all()
        for run in stale:
            alive = (run.heartbeat_at or run.started_at).astimezone(UTC)
            run.status = "failed"
            run.error = (
                f"abandoned: its process stopped heartbeating (last seen {alive:%Y-%m-%d %H:%M:%S} UTC, "
                "lease expired); reaped by the next crawl"
            )
            run.finished_at = now
            run.lease_expires_at = None
    return len(stale)


def _renew_lease(session: Session, run_id: uuid.UUID, lease_s: float) -> None:
    """A running run's heartbeat and lease, on the database's clock."""
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id, CrawlRun.status == "running")
        .values(heartbeat_at=func.now(), lease_expires_at=func.now() + timedelta(seconds=lease_s))
    )


def _beat(svc: Services, run_id: uuid.UUID) -> None:
    with session_scope(svc.sessions) as session:
        _renew_lease(session, run_id, svc.lease_s)


@contextlib.contextmanager
def _leased(svc: Services, run_id: uuid.UUID) -> Iterator[None]:
    """Heartbeat the run's lease every lease_s / 4 while the block runs (like a stage attempt's)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(svc.lease_s / 4):
            try:
                _beat(svc, run_id)
            except Exception as exc:  # a database blip must not end the crawl; the next beat retries
                log.warning("crawl_run %s: heartbeat failed: %s", run_id, exc)

    thread = threading.Thread(target=beat, name="ophin-crawl-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def enabled_sources(svc: Services) -> list[Any]:
    with session_scope(svc.sessions) as session:
        rows = list_sources(session, enabled_only=True)
        session.expunge_all()
    return rows


def _crawl(svc: Services, run_id: uuid.UUID, sleep: Sleep) -> Crawl:
    s = svc.settings
    filters = CrawlFilters.from_settings(s.crawl, s.acquire.max_filesize_mb)
    return Crawl(svc, run_id, s.crawl, filters, sleep, HostThrottle(s.crawl.request_interval_s, sleep))


def _part(c: Crawl, part: CrawlPart) -> CrawlPart:
    part.counts, part.rejected, part.invalid = dict(c.counts), dict(c.rejected), list(c.invalid)
    return part


def discover(
    svc: Services, run_id: uuid.UUID, source_ids: list[uuid.UUID], sleep: Sleep = time.sleep
) -> CrawlPart:
    """Discovery over these sources (each failure stays with its source), then pending candidates."""
    c, part = _crawl(svc, run_id, sleep), CrawlPart()
    wanted = set(source_ids)
    with _leased(svc, run_id):
        for source in (s for s in enabled_sources(svc) if s.id in wanted):
            try:
                part.sources[str(source.id)] = discover_source(source, c)
            except CrawlStopped as exc:
                part.stopped.append(str(exc))
                part.sources[str(source.id)] = {"error": str(exc), "failure_class": "rate_limited"}
            except AcquireError as exc:  # a 404 feed, a refused URL, an endless feed: this source only
                part.sources[str(source.id)] = {"error": str(exc), "failure_class": exc.failure_class}
                log.warning("crawl: source %s (%s) failed: %s", source.id, source.target, exc)
            except Exception as exc:  # unforeseen (a parser's error): still this source's alone
                error = f"{type(exc).__name__}: {exc}"
                part.sources[str(source.id)] = {"error": error, "failure_class": "error"}
                log.exception("crawl: source %s (%s) failed: %s", source.id, source.target, error)
        if not part.stopped:  # a host that just rate-limited us is not asked again this crawl
            judge_pending(c)
    return _part(c, part)


def download(svc: Services, run_id: uuid.UUID, sleep: Sleep = time.sleep) -> CrawlPart:
    c, part = _crawl(svc, run_id, sleep), CrawlPart()
    videos: list[uuid.UUID] = []
    try:
        with _leased(svc, run_id):
            videos = download_due(c)
    except CrawlStopped as exc:
        part.stopped.append(str(exc))
        videos = exc.args[1] if len(exc.args) > 1 else []
    with session_scope(svc.sessions) as session:
        part.urls = list(session.scalars(select(Video.url).where(Video.id.in_(videos))))
    return _part(c, part)


def close_run(
    svc: Services, run_id: uuid.UUID, parts: list[CrawlPart], failure: BaseException | None = None
) -> CrawlReport:
    """The parts summed into the crawl_run row: succeeded, partial (a source or download failed),
    rate_limited, or failed (`failure` ended the crawl: an error, SIGTERM)."""
    counts: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    sources: dict[str, dict[str, Any]] = {}
    stopped: list[str] = []
    urls: list[str] = []
    invalid: list[str] = []
    for p in parts:
        counts.update(p.counts)
        rejected.update(p.rejected)
        sources |= p.sources
        stopped += p.stopped
        urls += p.urls
        invalid += p.invalid
    failed = counts["failed"] + sum(
        1 for s in sources.values() if "error" in s and s["failure_class"] != "rate_limited"
    )
    status = "rate_limited" if stopped else ("partial" if failed else "succeeded")
    errors = stopped + [f"source {sid}: {s['error']}" for sid, s in sources.items() if "error" in s]
    if failure is not None:
        status = "failed"
        errors.insert(0, f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__)
    report = CrawlReport(
        run_id, status, dict(counts), dict(rejected), sources, urls, "; ".join(errors) or None, invalid
    )
    row = {
        "id": run_id,
        "status": status,
        "counts": report.counts,
        "rejected": report.rejected,
        "error": plain_text(report.error, 2000),
        "finished_at": datetime.now(UTC),
        "lease_expires_at": None,
    }
    with session_scope(svc.sessions) as session:
        upsert(session, CrawlRun, [row])
    return report


def crawl(
    svc: Services,
    *,
    source_ids: list[uuid.UUID] | None = None,
    discover_pass: bool = True,
    download_pass: bool = True,
    run_key: str | None = None,
    sleep: Sleep = time.sleep,
) -> CrawlReport:
    """One crawl in this process: discovery, then downloads, recorded as one crawl_run, which is closed
    however the crawl ends (an exception or Terminated closes it as failed, then propagates)."""
    ids = source_ids if source_ids is not None else [s.id for s in enabled_sources(svc)]
    run_id = open_run(svc, run_key, ids)
    parts: list[CrawlPart] = []
    try:
        if discover_pass:
            parts.append(discover(svc, run_id, ids, sleep))
        if download_pass:
            parts.append(download(svc, run_id, sleep))
    except BaseException as exc:
        try:
            close_run(svc, run_id, parts, failure=exc)
        except Exception as closing:  # the database itself may be what failed; the lease reaps it then
            log.error("crawl_run %s: could not be closed (%s); the next crawl reaps it", run_id, closing)
        raise
    return close_run(svc, run_id, parts)
