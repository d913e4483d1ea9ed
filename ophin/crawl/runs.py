"""A crawl run: discovery over the enabled sources, then the download pass, recorded as one crawl_run row."""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ophin.adapters.video_source import AcquireError
from ophin.crawl.discover import Crawl, CrawlStopped, discover_source, judge_pending
from ophin.crawl.download import download_due
from ophin.crawl.filters import CrawlFilters
from ophin.crawl.politeness import HostThrottle, Sleep
from ophin.crawl.sources import list_sources
from ophin.db.crawl_models import CrawlRun, Source
from ophin.db.models import Video
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import make_id
from ophin.domain.text import plain_text
from ophin.services import Services

log = logging.getLogger("ophin.crawl")


@dataclass
class CrawlReport:
    run_id: uuid.UUID
    status: str = "running"
    counts: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # source id -> its counts or error
    videos: list[uuid.UUID] = field(default_factory=list)  # newly downloaded, for processing
    urls: list[str] = field(default_factory=list)
    error: str | None = None


def crawl(
    svc: Services,
    *,
    source_ids: list[uuid.UUID] | None = None,
    discover: bool = True,
    download: bool = True,
    run_key: str | None = None,
    sleep: Sleep = time.sleep,
) -> CrawlReport:
    """One crawl. `run_key` (an Airflow run id) makes its crawl_run id deterministic, so a retried task
    records into the same row."""
    s = svc.settings
    run_id = make_id("crawl_run", run_key) if run_key else uuid.uuid4()
    with session_scope(svc.sessions) as session:
        sources = [
            x
            for x in list_sources(session, enabled_only=source_ids is None)
            if source_ids is None or x.id in source_ids
        ]
        session.expunge_all()
    report = CrawlReport(run_id)
    _record(svc, report, [x.id for x in sources], started=True)
    c = Crawl(
        svc,
        run_id,
        s.crawl,
        CrawlFilters.from_settings(s.crawl, s.acquire.max_filesize_mb),
        sleep,
        HostThrottle(s.crawl.request_interval_s, sleep),
    )
    stopped, failed = [], 0
    if discover:
        for source in sources:
            try:
                report.sources[str(source.id)] = discover_source(source, c)
            except CrawlStopped as exc:
                stopped.append(str(exc))
                report.sources[str(source.id)] = {"error": str(exc), "failure_class": "rate_limited"}
            except AcquireError as exc:  # a 404 feed, a refused URL: this source only
                failed += 1
                report.sources[str(source.id)] = {"error": str(exc), "failure_class": exc.failure_class}
                log.warning("crawl: source %s (%s) failed: %s", source.id, source.target, exc)
        judge_pending(c)
    if download:
        try:
            report.videos = download_due(c)
        except CrawlStopped as exc:
            stopped.append(str(exc))
    failed += c.counts["failed"]
    report.counts, report.rejected = dict(c.counts), dict(c.rejected)
    report.status = "rate_limited" if stopped else ("partial" if failed else "succeeded")
    report.error = "; ".join(stopped) or None
    with session_scope(svc.sessions) as session:
        report.urls = list(session.scalars(select(Video.url).where(Video.id.in_(report.videos))))
    _record(svc, report, [x.id for x in sources])
    return report


def _record(svc: Services, report: CrawlReport, sources: list[uuid.UUID], *, started: bool = False) -> None:
    row: dict[str, Any] = {
        "id": report.run_id,
        "status": report.status,
        "source_ids": [str(x) for x in sources],
        "counts": report.counts | {"sources": len(sources)},
        "rejected": report.rejected,
        "error": plain_text(report.error, 2000),
        "origin": svc.origin,
        "finished_at": None if started else datetime.now(UTC),
    }
    if started:
        row["started_at"] = datetime.now(UTC)
    with session_scope(svc.sessions) as session:
        upsert(session, CrawlRun, [row])


def recent_runs(svc: Services, limit: int = 10) -> list[CrawlRun]:
    with session_scope(svc.sessions) as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.started_at.desc()).limit(limit)).all()
        session.expunge_all()
    return list(runs)


def source_rows(svc: Services) -> list[Source]:
    with session_scope(svc.sessions) as session:
        rows = list_sources(session)
        session.expunge_all()
    return rows


def rejection_counts(svc: Services, run_id: uuid.UUID) -> Counter[str]:
    from ophin.db.crawl_models import CrawlSighting

    with session_scope(svc.sessions) as session:
        rows = session.execute(
            select(CrawlSighting.outcome).where(CrawlSighting.crawl_run_id == run_id)
        ).scalars()
        return Counter(rows)
