"""A crawl run: discovery over the enabled sources, then the download pass, recorded as one crawl_run row.

The CLI runs the parts in one process (`crawl`); the ophin_crawl DAG runs each part as its own task (one
per source for discovery) and closes the run with what every task reported.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ophin.adapters.video_source import AcquireError
from ophin.crawl.discover import Crawl, CrawlStopped, discover_source, judge_pending
from ophin.crawl.download import download_due
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

log = logging.getLogger("ophin.crawl")


@dataclass
class CrawlPart:
    """What one part of a crawl did (JSON-able: a DAG task hands it on through XCom)."""

    counts: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)  # rule -> count
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # source id -> its counts or error
    stopped: list[str] = field(default_factory=list)  # rate-limit storms that ended a part early
    urls: list[str] = field(default_factory=list)  # public URLs of newly downloaded videos

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


def open_run(
    svc: Services, run_key: str | None = None, source_ids: list[uuid.UUID] | None = None
) -> uuid.UUID:
    """Record a running crawl; `run_key` (an Airflow run id) makes its id deterministic for retries."""
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
    return run_id


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
    part.counts, part.rejected = dict(c.counts), dict(c.rejected)
    return part


def discover(
    svc: Services, run_id: uuid.UUID, source_ids: list[uuid.UUID], sleep: Sleep = time.sleep
) -> CrawlPart:
    """Discovery over these sources (each failure stays with its source), then pending candidates."""
    c, part = _crawl(svc, run_id, sleep), CrawlPart()
    wanted = set(source_ids)
    for source in (s for s in enabled_sources(svc) if s.id in wanted):
        try:
            part.sources[str(source.id)] = discover_source(source, c)
        except CrawlStopped as exc:
            part.stopped.append(str(exc))
            part.sources[str(source.id)] = {"error": str(exc), "failure_class": "rate_limited"}
        except AcquireError as exc:  # a 404 feed, a refused URL: this source only
            part.sources[str(source.id)] = {"error": str(exc), "failure_class": exc.failure_class}
            log.warning("crawl: source %s (%s) failed: %s", source.id, source.target, exc)
    if not part.stopped:  # a host that just rate-limited us is not asked again this crawl
        judge_pending(c)
    return _part(c, part)


def download(svc: Services, run_id: uuid.UUID, sleep: Sleep = time.sleep) -> CrawlPart:
    c, part = _crawl(svc, run_id, sleep), CrawlPart()
    videos: list[uuid.UUID] = []
    try:
        videos = download_due(c)
    except CrawlStopped as exc:
        part.stopped.append(str(exc))
        videos = exc.args[1] if len(exc.args) > 1 else []
    with session_scope(svc.sessions) as session:
        part.urls = list(session.scalars(select(Video.url).where(Video.id.in_(videos))))
    return _part(c, part)


def close_run(svc: Services, run_id: uuid.UUID, parts: list[CrawlPart]) -> CrawlReport:
    """The parts summed into the crawl_run row: succeeded, partial (a source or download failed) or
    rate_limited."""
    counts: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    sources: dict[str, dict[str, Any]] = {}
    stopped: list[str] = []
    urls: list[str] = []
    for p in parts:
        counts.update(p.counts)
        rejected.update(p.rejected)
        sources |= p.sources
        stopped += p.stopped
        urls += p.urls
    failed = counts["failed"] + sum(
        1 for s in sources.values() if "error" in s and s["failure_class"] != "rate_limited"
    )
    status = "rate_limited" if stopped else ("partial" if failed else "succeeded")
    errors = stopped + [f"source {sid}: {s['error']}" for sid, s in sources.items() if "error" in s]
    report = CrawlReport(
        run_id, status, dict(counts), dict(rejected), sources, urls, "; ".join(errors) or None
    )
    row = {
        "id": run_id,
        "status": status,
        "counts": report.counts,
        "rejected": report.rejected,
        "error": plain_text(report.error, 2000),
        "finished_at": datetime.now(UTC),
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
    """One crawl in this process: discovery, then downloads, recorded as one crawl_run."""
    ids = source_ids if source_ids is not None else [s.id for s in enabled_sources(svc)]
    run_id = open_run(svc, run_key, ids)
    parts = []
    if discover_pass:
        parts.append(discover(svc, run_id, ids, sleep))
    if download_pass:
        parts.append(download(svc, run_id, sleep))
    return close_run(svc, run_id, parts)
