"""Discovery: read a source's listing (flat, metadata only), record each new video once with its licence
decision and filter verdict. Nothing is downloaded here."""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ophin.acquisition.errors import AcquireError, RateLimited
from ophin.acquisition.license import LicenseEvidence
from ophin.acquisition.license_gate import judge_info
from ophin.acquisition.page_license import license_from_feed, license_from_html
from ophin.acquisition.video_source import upload_date
from ophin.crawl.archive import PostgresArchive, candidate_key, entry_url
from ophin.crawl.filters import CrawlFilters
from ophin.crawl.listings import (
    Listing,
    ListingBounds,
    ListingUnbounded,
    invalid_key,
    printable,
    read_feed,
    read_url_list,
)
from ophin.crawl.politeness import HostThrottle, Sleep, as_acquire_error, backoff_s
from ophin.crawl.sources import PAGINATED, listing_target
from ophin.db.crawl_models import CrawlCandidate, CrawlSighting, Source
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import candidate_id, sighting_id
from ophin.domain.text import plain_text
from ophin.services import Services
from ophin.settings import CrawlSettings

log = logging.getLogger("ophin.crawl")
# Entries judged per archive look-up (and per Data API request): up to 100; small first where the listing
# may stop at a known video, so that it stops after one entry (yt-dlp fetches pages as entries are taken).
_PAGES = (1, 4, 16, 64)
_PAGE = 100


class CrawlStopped(RuntimeError):
    """The host kept rate-limiting after every backoff: this crawl stops, the next one resumes."""


@dataclass
class Crawl:
    """One crawl run's shared state: services, settings, politeness, and what it has counted so far."""

    svc: Services
    run_id: uuid.UUID
    settings: CrawlSettings
    filters: CrawlFilters
    sleep: Sleep
    throttle: HostThrottle
    counts: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    recorded: set[str] = field(default_factory=set)  # keys this run added (a restart must not stop there)
    invalid: list[str] = field(default_factory=list)  # listing lines rejected as no URL, with the reason

    @property
    def archive(self) -> PostgresArchive:
        return PostgresArchive(self.svc.sessions)

    def patiently(self, url: str, call: Callable[[], Any], what: str) -> Any:
        """call(), retried with backoff while the host rate-limits; CrawlStopped after max_attempts."""
        for attempt in itertools.count(1):
            self.throttle.wait(url)
            try:
                return call()
            except Exception as exc:
                err = as_acquire_error(exc)
                if not isinstance(err, RateLimited):
                    if err is not None and err is not exc:
                        raise err from exc  # an HTTP status in the crawler's failure classes
                    raise
                self.back_off(attempt, err, what)
        raise AssertionError("unreachable")

    def back_off(self, attempt: int, err: AcquireError, what: str) -> None:
        """Count a rate-limit and sleep its backoff (at least the host's Retry-After); CrawlStopped once
        max_attempts are spent."""
        s = self.settings
        self.counts["rate_limited"] += 1
        if attempt >= s.max_attempts:
            raise CrawlStopped(f"{what}: still rate-limited after {attempt} attempts ({err})") from err
        wait = backoff_s(attempt, s.backoff_s, s.max_backoff_s, getattr(err, "retry_after_s", None))
        log.warning("%s: rate-limited (%s); backing off %.1f s", what, err, wait)
        self.sleep(wait)


def discover_source(source: Source, crawl: Crawl) -> dict[str, int]:
    """Record the source's new entries; returns this source's counts. Raises CrawlStopped, AcquireError."""
    counts: Counter[str] = Counter()
    # Only a paginated listing saves requests by stopping at a known video; a single page (a feed, a page,
    # a URL list) is read whole anyway, and a feed may append new items at its end or date them alike.
    stop_at_known = source.newest_first and source.listing_complete and source.kind in PAGINATED
    read: list[Listing] = []  # the feed as read for its entries: its licence statements come from it too
    listed = _evidence_by_url(source, crawl, read)
    complete = False
    try:
        entries = _entries(source, crawl, read)
        sizes = itertools.chain(_PAGES if stop_at_known else (), itertools.repeat(_PAGE))
        for size in sizes:
            page = list(itertools.islice(entries, size))
            if not page:
                complete = True
                break
            if _judge_page(source, page, listed, crawl, counts, stop_at_known):
                complete = True  # reached what earlier crawls read: nothing older is new
                break
            if counts["seen"] >= source.max_items:
                complete = True
                break
    finally:
        with session_scope(crawl.svc.sessions) as session:
            row = session.get(Source, source.id)
            row.listing_complete = complete  # a pass cut short reads past known videos next time
            row.last_crawl_run_id = crawl.run_id
            row.last_crawled_at = datetime.now(UTC)
    return dict(counts)


def _entries(source: Source, crawl: Crawl, read: list[Listing]) -> Iterator[dict[str, Any]]:
    """The listing, restarted after a rate-limit (backoff), never yielding more than max_items entries."""
    target = listing_target(source)
    bounds = ListingBounds.from_settings(crawl.settings)
    if source.kind == "urls":
        lines = crawl.patiently(target, lambda: read_url_list(crawl.svc, target, bounds), f"list {target}")
        yield from lines[: source.max_items]
        return
    if source.kind == "feed":
        read.append(crawl.patiently(target, lambda: read_feed(crawl.svc, target, bounds), f"read {target}"))
        yield from read[0].entries[: source.max_items]
        return
    yield from _ytdlp_entries(source, target, bounds, crawl)


def _ytdlp_entries(
    source: Source, target: str, bounds: ListingBounds, crawl: Crawl
) -> Iterator[dict[str, Any]]:
    """A listing yt-dlp reads (pages come as entries are taken), bounded in the time spent waiting for it."""
    yielded, waited = 0, 0.0
    for attempt in itertools.count(1):
        crawl.throttle.wait(target)
        try:
            listing = iter(crawl.svc.video_source.list_entries(target))
            for index in itertools.count():
                started = time.monotonic()
                entry = next(listing, None)
                waited += time.monotonic() - started
                if waited > bounds.timeout_s:
                    raise ListingUnbounded(
                        f"{target}: listing took over {bounds.timeout_s:g} s (crawl.listing_timeout_s)"
                    )
                if entry is None or index >= source.max_items:
                    return
                if index >= yielded:  # a restarted listing skips what it already gave
                    yielded += 1
                    yield entry
        except RateLimited as exc:
            crawl.back_off(attempt, exc, f"listing {target}")


def _evidence_by_url(
    source: Source, crawl: Crawl, read: list[Listing]
) -> Callable[[str], list[LicenseEvidence]]:
    """What the listing page or feed itself says about licences: read once, when the first new video
    needs it (a crawl that finds nothing new does not fetch or parse it)."""
    if source.kind not in ("feed", "page"):
        return lambda url: []
    parsed: list[Callable[[str], list[LicenseEvidence]]] = []

    def lookup(url: str) -> list[LicenseEvidence]:
        if not parsed:
            parsed.append(_read_listing_licences(source, crawl, read))
        return parsed[0](url)

    return lookup


def _read_listing_licences(
    source: Source, crawl: Crawl, read: list[Listing]
) -> Callable[[str], list[LicenseEvidence]]:
    if source.kind == "feed" and read:  # the bytes its entries came from: no second request
        try:
            feed = license_from_feed(read[0].body, read[0].url)
        except ValueError as exc:
            raise AcquireError(f"feed {source.target}: {exc}") from None
        return feed.for_url
    response = crawl.patiently(
        source.target, lambda: crawl.svc.http.get(source.target), f"read {source.target}"
    )
    page = license_from_html(response.body.decode("utf-8", "replace"), response.url)
    return lambda url: page


def _judge_page(
    source: Source,
    page: list[dict[str, Any]],
    listed: Callable[[str], list[LicenseEvidence]],
    crawl: Crawl,
    counts: Counter[str],
    stop_at_known: bool,
) -> bool:
    """Judge one page of entries; True when the listing reached a video known before this crawl."""
    keyed = [(_key(e), e) for e in page]
    known = crawl.archive.known(k for k, _ in keyed)
    asked = _ask_youtube_api([e for k, e in keyed if k not in known and k not in crawl.recorded], crawl)
    reached_old, stopped = False, None
    candidates, sightings = [], []
    for key, entry in keyed:
        if counts["seen"] >= source.max_items:
            break
        counts["seen"] += 1
        crawl.counts["seen"] += 1
        cid = candidate_id(key)
        if key in known or key in crawl.recorded:
            counts["known"] += 1
            crawl.counts["known"] += 1
            sightings.append(_sighting(crawl, cid, source, "known", None))
            if stop_at_known and key not in crawl.recorded:
                reached_old = True
                break
            continue
        counts["new"] += 1
        crawl.counts["new"] += 1
        crawl.recorded.add(key)
        row = _judge_entry(key, entry, source, listed, crawl, asked.get(str(entry.get("id"))))
        counts[row["status"]] += 1
        candidates.append(row)
        sightings.append(_sighting(crawl, cid, source, row["status"], row["reason"]))
        if row["status"] == "discovered":
            stopped = row["reason"]  # the host kept rate-limiting: ask it nothing more this crawl
            break
    with session_scope(crawl.svc.sessions) as session:
        upsert(session, CrawlCandidate, candidates)
        upsert(session, CrawlSighting, sightings)
    if stopped:
        raise CrawlStopped(stopped)
    return reached_old


def _key(entry: dict[str, Any]) -> str:
    """The entry's archive key; an entry that has none (a listing line that is no URL) is marked invalid
    and keyed by a hash of what it holds, so that it is rejected on its own row and the listing goes on."""
    if not entry.get("_invalid"):
        try:
            return candidate_key(entry)
        except ValueError as exc:
            entry["_invalid"] = f"no archive key ({exc})"
    return invalid_key(str(entry.get("url") or entry.get("id") or entry))


Asked = tuple[list[LicenseEvidence], dict[str, Any]]  # the Data API's licence evidence and metadata


def _ask_youtube_api(entries: list[dict[str, Any]], crawl: Crawl) -> dict[str, Asked]:
    """YouTube's Data API on a page's new YouTube entries (50 ids a request), when a key is configured.

    Its answer spares a metadata probe per video; when it fails (quota), the probes run instead.
    """
    api = crawl.svc.youtube_api
    ids = [
        str(e["id"])
        for e in entries
        if e.get("id") and (e.get("ie_key") or e.get("extractor_key")) == "Youtube"
    ]
    if api is None or not ids:
        return {}
    try:
        found = crawl.patiently(api.base_url, lambda: api.videos(ids), "YouTube Data API")
    except (AcquireError, CrawlStopped, ValueError) as exc:
        log.warning("YouTube Data API unavailable (%s); probing each video instead", exc)
        return {}
    return {vid: ([video.license_evidence], video.metadata()) for vid, video in found.items()}


def _sighting(
    crawl: Crawl, cid: uuid.UUID, source: Source, outcome: str, reason: str | None
) -> dict[str, Any]:
    return {
        "id": sighting_id(crawl.run_id, cid, source.id),
        "crawl_run_id": crawl.run_id,
        "candidate_id": cid,
        "source_id": source.id,
        "outcome": outcome,
        "reason": reason,
    }


def _judge_entry(
    key: str,
    entry: dict[str, Any],
    source: Source,
    listed: Callable[[str], list[LicenseEvidence]],
    crawl: Crawl,
    asked: Asked | None = None,
) -> dict[str, Any]:
    """A candidate row: rejected with a reason, accepted, or pending when the host stopped answering."""
    if entry.get("_invalid"):
        return _invalid_row(key, entry, source, crawl)
    url = entry_url(entry)
    api_evidence, api_meta = asked or ([], {})
    # The listing's own values first; what the Data API adds (age rating, language) fills the gaps.
    meta = {**api_meta, **{k: v for k, v in entry.items() if v is not None}}
    status, reason, failure, verdict = "accepted", None, None, None
    extra = [*api_evidence, *listed(url), *(LicenseEvidence(**e) for e in entry.get("_listed_evidence", ()))]
    rule = crawl.filters.reject(meta)
    try:
        if rule is None and not extra and not meta.get("license"):
            # The listing says nothing of the licence: read the video's own metadata (no media).
            probed = crawl.patiently(url, lambda: crawl.svc.video_source.probe(url), url)
            # The listing's own words (a feed item's title) beat the generic extractor's file name.
            meta = {**probed, **{k: v for k, v in meta.items() if v is not None}}
            rule = crawl.filters.reject(meta)
        if rule is None:
            verdict = judge_info(meta, crawl.svc, extra, ask_api=False)
            if not verdict.decision.accepted:
                rule = ("license", verdict.decision.reason)
    except CrawlStopped as exc:
        status, reason, failure = "discovered", str(exc), "rate_limited"
    except AcquireError as exc:
        status, reason, failure = "rejected", str(exc), exc.failure_class
        crawl.rejected[exc.failure_class] += 1
    except ValueError as exc:  # a URL the policy or yt-dlp cannot even parse: this entry only
        status, reason, failure = "rejected", f"invalid URL ({exc})", "invalid_url"
        crawl.rejected["invalid_url"] += 1
    if rule is not None:
        status, reason = "rejected", rule[1]
        crawl.rejected[rule[0]] += 1
    elif status == "accepted":
        crawl.counts["accepted"] += 1
    decision = verdict.decision if verdict else None
    return {
        "id": candidate_id(key),
        "key": key,
        "url": url,
        "source_id": source.id,
        "first_crawl_run_id": crawl.run_id,
        "last_crawl_run_id": crawl.run_id,
        "status": status,
        "reason": plain_text(reason, 1000),
        "failure_class": failure,
        "license": decision.license if decision else None,
        "license_ok": decision.accepted if decision else None,
        # A pending candidate keeps what its listing said, for the crawl that judges it later.
        "license_evidence": decision.as_json() if decision else {"listed": [e.as_json() for e in extra]},
        "title": plain_text(meta.get("title"), 500),
        "channel": plain_text(meta.get("channel") or meta.get("uploader"), 300),
        "upload_date": upload_date(meta),
        "duration_s": meta.get("duration") if isinstance(meta.get("duration"), int | float) else None,
        "language": plain_text(meta.get("language"), 16),
        "next_attempt_at": datetime.now(UTC) + timedelta(seconds=crawl.settings.backoff_s)
        if failure == "rate_limited"
        else None,
    }


def _invalid_row(key: str, entry: dict[str, Any], source: Source, crawl: Crawl) -> dict[str, Any]:
    """A rejected candidate for a listing line that is no URL: the line (escaped) and why."""
    reason = f"{entry['_invalid']}: {str(entry.get('url') or '')[:200]!r}"  # repr escapes controls
    crawl.rejected["invalid_url"] += 1
    crawl.invalid.append(f"{source.target}: {reason}")
    log.warning("crawl: %s: rejected %s", source.target, reason)
    return {
        "id": candidate_id(key),
        "key": key,
        "url": printable(str(entry.get("url") or "")),
        "source_id": source.id,
        "first_crawl_run_id": crawl.run_id,
        "last_crawl_run_id": crawl.run_id,
        "status": "rejected",
        "reason": plain_text(reason, 1000),
        "failure_class": "invalid_url",
        "license": None,
        "license_ok": None,
        "license_evidence": None,
        "title": None,
        "channel": None,
        "upload_date": None,
        "duration_s": None,
        "language": None,
        "next_attempt_at": None,
    }


def judge_pending(crawl: Crawl, limit: int = 1000) -> int:
    """Judge candidates an earlier crawl recorded but could not judge (the host rate-limited it)."""
    from sqlalchemy import or_, select

    now = datetime.now(UTC)
    with session_scope(crawl.svc.sessions) as session:
        pending = session.execute(
            select(CrawlCandidate, Source)
            .join(Source, Source.id == CrawlCandidate.source_id)
            .where(CrawlCandidate.status == "discovered")
            .where(or_(CrawlCandidate.next_attempt_at.is_(None), CrawlCandidate.next_attempt_at <= now))
            .order_by(CrawlCandidate.created_at)
            .limit(limit)
        ).all()
        work = [(c.key, c.url, c.title, (c.license_evidence or {}).get("listed", []), s) for c, s in pending]
    entries = [_entry_of(key, url, title, listed_json) for key, url, title, listed_json, _ in work]
    asked = _ask_youtube_api(entries, crawl)
    rows = []
    for entry, (key, _, _, _, source) in zip(entries, work, strict=True):
        row = _judge_entry(key, entry, source, lambda url: [], crawl, asked.get(str(entry.get("id"))))
        row.pop("first_crawl_run_id")
        rows.append(row)
        if row["status"] == "discovered":
            break  # still rate-limited: leave the rest for later
    with session_scope(crawl.svc.sessions) as session:
        upsert(session, CrawlCandidate, rows)
    return len(rows)


def _entry_of(key: str, url: str, title: str | None, listed: list[dict[str, Any]]) -> dict[str, Any]:
    """A listing entry again from a stored candidate: its key names the extractor and id where it has one."""
    entry: dict[str, Any] = {"url": url, "title": title, "_listed_evidence": listed}
    extractor, _, video = key.partition(" ")
    if extractor != "url":
        entry |= {"ie_key": extractor, "id": video}
    return entry
