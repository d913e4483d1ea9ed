"""The download pass: the crawl's accepted candidates through the acquire stage, a host slot at a time.

The crawl (ophin/crawl/) only finds and judges candidates; this is where the pipeline consumes them."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from ophin.acquisition.errors import AcquireError, RateLimited
from ophin.acquisition.license import LicenseDecision, LicenseEvidence
from ophin.acquisition.license_gate import Verdict
from ophin.crawl.discover import Crawl, CrawlStopped
from ophin.crawl.politeness import backoff_s, download_slot, host_of
from ophin.db.crawl_models import CrawlCandidate, CrawlSighting
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import sighting_id
from ophin.domain.text import plain_text
from ophin.stages.acquire import Found, acquire_video
from ophin.stages.acquire import params_from as acquire_params
from ophin.stages.base import StageFailed

log = logging.getLogger("ophin.crawl")


def due_candidates(crawl: Crawl, limit: int) -> list[CrawlCandidate]:
    now = datetime.now(UTC)
    with session_scope(crawl.svc.sessions) as session:
        rows = session.scalars(
            select(CrawlCandidate)
            .where(CrawlCandidate.status == "accepted", CrawlCandidate.license_ok.is_(True))
            .where(or_(CrawlCandidate.next_attempt_at.is_(None), CrawlCandidate.next_attempt_at <= now))
            .order_by(CrawlCandidate.created_at, CrawlCandidate.id)
            .limit(limit)
        ).all()
        session.expunge_all()
    return list(rows)


def _found(c: CrawlCandidate) -> Found:
    stored = c.license_evidence or {}
    decision = LicenseDecision(
        accepted=bool(c.license_ok),
        license=c.license,
        reason=stored.get("reason", ""),
        evidence=tuple(LicenseEvidence(**e) for e in stored.get("evidence", ())),
    )
    hints = {"title": c.title, "channel": c.channel, "upload_date": c.upload_date, "language": c.language}
    via = f"source:{c.source_id}" if c.source_id else "crawl"
    return Found(Verdict(decision, {}), via, {k: v for k, v in hints.items() if v})


def download_due(crawl: Crawl) -> list[uuid.UUID]:
    """Download what discovery accepted, oldest first; returns the new videos. Stops on a rate-limit storm
    (CrawlStopped): what is left stays accepted, and the next crawl takes it up."""
    svc, s = crawl.svc, crawl.settings
    params = acquire_params(svc)
    videos: list[uuid.UUID] = []
    stopped_hosts: set[str] = set()
    for candidate in due_candidates(crawl, s.max_downloads):
        host = host_of(candidate.url)
        if host in stopped_hosts:
            continue
        with download_slot(svc.sessions, candidate.url, s.downloads_per_host, crawl.sleep):
            crawl.throttle.wait(candidate.url, s.download_interval_s)
            outcome = _download(crawl, candidate, params)
        if outcome.get("video_id"):
            videos.append(uuid.UUID(outcome["video_id"]))
        if outcome["status"] == "rate_limited":
            stopped_hosts.add(host)
    if stopped_hosts:
        # The videos downloaded before the storm are news all the same: they travel with the exception.
        raise CrawlStopped(f"downloads from {', '.join(sorted(stopped_hosts))} were rate-limited", videos)
    return videos


def _download(crawl: Crawl, c: CrawlCandidate, params: Any) -> dict[str, Any]:
    s = crawl.settings
    attempts = c.attempts
    while True:
        attempts += 1
        try:
            result = acquire_video(c.url, params, svc=crawl.svc, found=_found(c))
        except StageFailed as failed:
            err = failed.cause if isinstance(failed.cause, AcquireError) else None
            if isinstance(err, RateLimited):
                crawl.counts["rate_limited"] += 1
                wait = backoff_s(attempts, s.backoff_s, s.max_backoff_s, getattr(err, "retry_after_s", None))
                if attempts - c.attempts < s.max_attempts:
                    crawl.sleep(wait)
                    continue
                later = datetime.now(UTC) + timedelta(seconds=wait)
                return _record(crawl, c, "accepted", "rate_limited", str(err), attempts, next_at=later)
            failure = err.failure_class if err else "error"
            crawl.counts["failed"] += 1
            return _record(crawl, c, "failed", failure, str(failed.cause), attempts)
        output = result.output
        vid = uuid.UUID(output["video_id"])
        if output.get("known_content") and not _was_ours(crawl, c, vid):
            crawl.counts["duplicates"] += 1
            reason = f"same content (sha256 {output['sha256'][:12]}) as video {vid}, found under another URL"
            return _record(crawl, c, "duplicate", None, reason, attempts, video=vid) | {"video_id": None}
        crawl.counts["downloaded"] += 1
        return _record(crawl, c, "downloaded", None, None, attempts, video=vid) | {"video_id": str(vid)}


def _was_ours(crawl: Crawl, c: CrawlCandidate, vid: uuid.UUID) -> bool:
    """Whether the known content came from this very candidate (a re-run), not from another URL."""
    with session_scope(crawl.svc.sessions) as session:
        other = session.scalar(
            select(CrawlCandidate.id)
            .where(CrawlCandidate.video_id == vid, CrawlCandidate.id != c.id)
            .limit(1)
        )
    return other is None and c.video_id == vid


def _record(
    crawl: Crawl,
    c: CrawlCandidate,
    status: str,
    failure: str | None,
    reason: str | None,
    attempts: int,
    *,
    video: uuid.UUID | None = None,
    next_at: datetime | None = None,
) -> dict[str, Any]:
    row = {
        "id": c.id,
        "key": c.key,
        "url": c.url,
        "status": status,
        "failure_class": failure,
        "reason": plain_text(reason, 1000),
        "attempts": attempts,
        "next_attempt_at": next_at,
        "video_id": video or c.video_id,
        "last_crawl_run_id": crawl.run_id,
    }
    sighting = {
        "id": sighting_id(crawl.run_id, c.id, c.source_id),
        "crawl_run_id": crawl.run_id,
        "candidate_id": c.id,
        "source_id": c.source_id,
        "outcome": failure if status == "accepted" else status,
        "reason": row["reason"],
    }
    with session_scope(crawl.svc.sessions) as session:
        upsert(session, CrawlCandidate, [row])
        upsert(session, CrawlSighting, [sighting])
    log.info("crawl %s: %s%s", c.url, status, f" ({reason})" if reason else "")
    return {"status": failure or status}
