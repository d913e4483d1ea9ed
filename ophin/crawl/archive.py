"""The archive of every video the crawler has seen, in Postgres, keyed so that one video has one key."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ophin.db.crawl_models import CrawlCandidate
from ophin.domain.urls import canonical_url

# The generic extractor's "id" is the file's basename: two sites' lecture1.mp4 would collide.
_URL_KEYED = {"generic", "html5mediaembed", ""}


def entry_url(entry: dict[str, Any]) -> str:
    """The entry's video URL (a page's embedded file itself), without the data yt-dlp smuggles into a
    fragment (a feed item's guid)."""
    from yt_dlp.utils import unsmuggle_url

    url = str(entry.get("url") or entry.get("webpage_url") or "")
    formats = entry.get("formats") or []
    if (
        str(entry.get("extractor_key") or "").lower() in _URL_KEYED
        and formats
        and not entry.get("webpage_url")
    ):
        # One of several <video>s embedded in a page names its file only in its formats: the file is the
        # video. (A page with one <video> is its own URL: fetching it brings the captions its <track>s name.)
        url = str(formats[-1].get("url") or url)
    return canonical_url(unsmuggle_url(url)[0]) if url else ""


def candidate_key(entry: dict[str, Any]) -> str:
    """yt-dlp's archive spelling ("youtube <id>") for extractors with stable ids, else "url <canonical>"."""
    extractor = str(entry.get("ie_key") or entry.get("extractor_key") or "").lower()
    video = entry.get("id")
    if extractor not in _URL_KEYED and video:
        return f"{extractor} {video}"
    url = entry_url(entry)
    if not url:
        raise ValueError("a listing entry with neither an id nor a URL")
    return f"url {url}"


class PostgresArchive:
    """A set-like view of crawl_candidate keys (what yt-dlp's download_archive accepts): `in`, `add`, `len`.

    Look-ups are index scans on the unique key, so they cost the same at 1,000 or 1,000,000 keys; `known`
    answers a whole page of a listing in one query.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def known(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        if not keys:
            return set()
        with self.sessions() as session:
            return set(session.scalars(select(CrawlCandidate.key).where(CrawlCandidate.key.in_(keys))))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self.known([key]))

    def add(self, key: str) -> None:
        """Keys are added by the crawler with their candidate row; yt-dlp's own additions are ignored."""

    def __len__(self) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(CrawlCandidate)) or 0)
