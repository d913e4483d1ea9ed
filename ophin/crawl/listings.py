"""Listings the crawler reads itself (RSS/Atom feeds, URL lists): bounded in bytes, items and time, parsed
as they stream in, each line checked before it can become a candidate."""

from __future__ import annotations

import email.utils
import hashlib
import io
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from ophin.acquisition.errors import AcquireError
from ophin.acquisition.fetch_policy import FetchPolicy
from ophin.domain.urls import canonical_url, file_path, is_file_url
from ophin.services import Services
from ophin.settings import CrawlSettings

_YOUTUBE_WATCH = "https://www.youtube.com/watch?v="


class ListingUnbounded(AcquireError):
    """A listing past one of its bounds (bytes, items, time): an endless or hostile feed."""

    failure_class = "listing_bounds"


@dataclass(frozen=True)
class ListingBounds:
    max_bytes: int
    max_items: int
    timeout_s: float

    @classmethod
    def from_settings(cls, s: CrawlSettings) -> ListingBounds:
        return cls(s.listing_max_bytes, s.listing_max_items, s.listing_timeout_s)


@dataclass(frozen=True)
class Listing:
    url: str
    entries: list[dict[str, Any]]
    body: bytes  # what was read (at most max_bytes): the feed's licence statements are parsed from it


class _Bounded(io.RawIOBase):
    """A read-only stream over chunks that raises ListingUnbounded past the byte or time bound; it keeps
    what it read (bounded too) so the caller parses the same bytes again without a second request."""

    def __init__(self, chunks: Iterator[bytes], url: str, bounds: ListingBounds) -> None:
        self._chunks = chunks
        self._url = url
        self._bounds = bounds
        self._deadline = time.monotonic() + bounds.timeout_s
        self._pending = b""
        self.read_so_far = bytearray()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._pending:
            self._pending = next(self._chunks, b"")
            self.read_so_far += self._pending
            b = self._bounds
            if len(self.read_so_far) > b.max_bytes:
                raise ListingUnbounded(
                    f"{self._url}: listing over {b.max_bytes} bytes (crawl.listing_max_bytes); refused"
                )
            if time.monotonic() > self._deadline:
                raise ListingUnbounded(
                    f"{self._url}: listing still arriving after {b.timeout_s:g} s "
                    "(crawl.listing_timeout_s); refused"
                )
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _chunks(svc: Services, url: str, bounds: ListingBounds) -> Iterator[bytes]:
    if is_file_url(url):  # a list on this machine: only where file:// URLs are allowed
        FetchPolicy.from_settings(svc.settings.acquire).check(url)
        with file_path(url).open("rb") as f:
            while block := f.read(64 * 2**10):
                yield block
        return
    yield from svc.http.stream(url, timeout_s=bounds.timeout_s)


def read_url_list(svc: Services, url: str, bounds: ListingBounds) -> list[dict[str, Any]]:
    """One entry per URL line (blank lines and # comments skipped); a line that is no fetchable URL is
    kept as an entry marked `_invalid` with the reason, so it is rejected on its own row."""
    stream = _Bounded(_chunks(svc, url, bounds), url, bounds)
    entries: list[dict[str, Any]] = []
    for number, raw in enumerate(io.BufferedReader(stream), start=1):
        line = raw.decode("utf-8", "replace").strip()
        if not line or line.startswith("#"):
            continue
        if len(entries) >= bounds.max_items:
            raise ListingUnbounded(f"{url}: over {bounds.max_items} lines (crawl.listing_max_items); refused")
        entry: dict[str, Any] = {"url": line, "_type": "url", "_line": number}
        problem = url_problem(line)
        if problem:
            entry["_invalid"] = f"line {number}: {problem}"
        entries.append(entry)
    return entries


def url_problem(text: str) -> str | None:
    """Why this text is not a URL the crawler can key and fetch; None when it is one."""
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs")), None)
    if bad is not None:
        return f"control character U+{ord(bad):04X} in the URL"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
        canonical_url(text)
    except ValueError as exc:
        return f"not a URL ({exc})"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https", "file"):
        return f"scheme {scheme or 'missing'!r}: only http, https and file URLs are listed"
    if scheme != "file" and not parts.hostname:
        return "no host in the URL"
    return None


def invalid_key(text: str) -> str:
    """The archive key of a line that is no URL: short and stable whatever the line holds."""
    return "invalid " + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


def printable(text: str, limit: int = 2000) -> str:
    """The text with control characters escaped (Postgres text holds no NUL), cut to `limit`."""
    return "".join(
        c if unicodedata.category(c) not in ("Cc", "Cf", "Cs") else f"\\x{ord(c):02x}" for c in text[:limit]
    )


def read_feed(svc: Services, url: str, bounds: ListingBounds) -> Listing:
    """An RSS 2.0/1.0 or Atom feed's items, read incrementally within the bounds, newest first by date
    where the dates differ (else in feed order). Raises ListingUnbounded, AcquireError, HttpError."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    stream = _Bounded(_chunks(svc, url, bounds), url, bounds)
    entries: list[dict[str, Any]] = []
    try:
        # forbid_dtd: a feed has no use for a DTD, and declarations are where entity bombs live.
        for _, element in iterparse(stream, events=("end",), forbid_dtd=True):
            if _local(element.tag) not in ("item", "entry"):
                continue
            if len(entries) >= bounds.max_items:
                raise ListingUnbounded(
                    f"{url}: over {bounds.max_items} items (crawl.listing_max_items); refused"
                )
            entry = _feed_entry(element, url)
            if entry is not None:
                entries.append(entry)
            element.clear()  # the item is read: only an empty shell stays in the tree
    except (DefusedXmlException, ParseError) as exc:
        raise AcquireError(f"feed {url}: not a well-formed feed ({exc})") from None
    return Listing(url, newest_first(entries), bytes(stream.read_so_far))


def newest_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dated entries newest first, then undated ones, when at least two dates differ; else as listed
    (a feed that gives every item one date says nothing about their order)."""
    dates = {e["timestamp"] for e in entries if e.get("timestamp") is not None}
    if len(dates) < 2:
        return entries
    return sorted(entries, key=lambda e: (e.get("timestamp") is None, -(e.get("timestamp") or 0)))


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _feed_entry(item: Any, feed_url: str) -> dict[str, Any] | None:
    """What yt-dlp's generic extractor took from an item (URL, title, date, duration), plus Atom."""
    fields: dict[str, str] = {}
    enclosure = media = link = None
    for child in item.iter():
        name = _local(child.tag)
        text = (child.text or "").strip()
        if name == "enclosure" and enclosure is None:
            enclosure = child.get("url")
        elif name == "content" and child.get("url") and media is None:  # Media RSS
            media = child.get("url")
        elif name == "link" and child.get("rel") == "enclosure" and child.get("href"):
            enclosure = enclosure or child.get("href")  # Atom's enclosure
        elif name == "link" and link is None:
            href = child.get("href")
            if href and child.get("rel") in (None, "alternate"):
                link = href
            elif text:
                link = text
        elif name in ("title", "description", "summary", "pubDate", "published", "updated", "date"):
            fields.setdefault(name, text)
        elif name in ("duration", "explicit", "videoId"):
            fields.setdefault(name, text)
    target = enclosure or media or link
    if not target:
        return None
    entry: dict[str, Any] = {"_type": "url", "url": urljoin(feed_url, target.strip())}
    entry["title"] = fields.get("title") or None
    entry["description"] = fields.get("description") or fields.get("summary") or None
    stamps = (fields.get(k) for k in ("pubDate", "published", "updated", "date"))
    entry["timestamp"] = next((t for t in map(_timestamp, stamps) if t is not None), None)
    entry["duration"] = _duration(fields.get("duration"))
    explicit = (fields.get("explicit") or "").lower()
    entry["age_limit"] = {"true": 18, "yes": 18, "false": 0, "no": 0}.get(explicit)
    if url_problem(entry["url"]) is None and canonical_url(entry["url"]).startswith(_YOUTUBE_WATCH):
        # A YouTube channel feed: keyed as yt-dlp's archive spells it ("youtube <id>").
        entry |= {"ie_key": "Youtube", "id": canonical_url(entry["url"]).removeprefix(_YOUTUBE_WATCH)}
    return entry


def _timestamp(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return email.utils.parsedate_to_datetime(text).timestamp()  # RSS: RFC 822
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()  # Atom, Dublin Core
    except ValueError:
        return None


def _duration(text: str | None) -> float | None:
    """itunes:duration: seconds, MM:SS or HH:MM:SS."""
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        return None
    if len(parts) > 3:
        return None
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return seconds
