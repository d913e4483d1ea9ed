"""Sources the crawler reads: add, list, disable; search sources generated from the query taxonomy."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ophin.db.crawl_models import Source
from ophin.db.upsert import upsert
from ophin.domain.ids import source_id
from ophin.domain.text import clean_text
from ophin.domain.urls import canonical_url

# kind -> (what target names, whether its listing is newest first)
KINDS: dict[str, tuple[str, bool]] = {
    # yt-dlp 2026.02 dropped `ytsearchdate` (YouTube no longer sorts search by date): results come by
    # relevance, so a search reads its whole window every crawl and only the new entries are judged.
    "youtube_search": ("a search query", False),
    "youtube_channel": ("a channel URL", True),
    "youtube_playlist": ("a playlist URL", False),
    "feed": ("an RSS feed URL", True),
    "page": ("a web page with embedded videos", False),
    "urls": ("a URL (http or file) of a text file with one video URL per line", False),
}

# Listings that come page by page: only there does stopping at a known video save requests.
PAGINATED = frozenset({"youtube_search", "youtube_channel", "youtube_playlist"})


@dataclass(frozen=True)
class SourceSpec:
    kind: str
    target: str
    name: str | None = None
    max_items: int | None = None
    newest_first: bool | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown source kind {self.kind!r}; one of {', '.join(KINDS)}")
        if not self.target.strip():
            raise ValueError("a source needs a target")
        if self.max_items is not None and self.max_items < 1:
            raise ValueError("max_items must be at least 1")

    @property
    def normalised_target(self) -> str:
        if self.kind == "youtube_search":
            return " ".join(self.target.split())[:300]
        return canonical_url(self.target)

    @property
    def id(self) -> uuid.UUID:
        return source_id(self.kind, self.normalised_target)


def listing_target(source: Source) -> str:
    """What yt-dlp is asked to list: a search of max_items results for queries, else the URL itself."""
    if source.kind == "youtube_search":
        return f"ytsearch{source.max_items}:{source.target}"
    return source.target


def add_sources(session: Session, specs: Sequence[SourceSpec], default_max_items: int) -> list[uuid.UUID]:
    """Upsert sources by (kind, target); adding one again re-enables it and takes the new limits."""
    rows = [
        {
            "id": spec.id,
            "kind": spec.kind,
            "target": spec.normalised_target,
            "name": clean_text(spec.name, 300),
            "enabled": True,
            "max_items": spec.max_items or default_max_items,
            "newest_first": KINDS[spec.kind][1] if spec.newest_first is None else spec.newest_first,
            "params": spec.params,
        }
        for spec in specs
    ]
    for start in range(0, len(rows), 500):
        upsert(session, Source, rows[start : start + 500])
    return [row["id"] for row in rows]


def list_sources(session: Session, *, enabled_only: bool = False) -> list[Source]:
    query = select(Source).order_by(Source.created_at, Source.id)
    if enabled_only:
        query = query.where(Source.enabled)
    return list(session.scalars(query))


def find_source(session: Session, ref: str) -> Source:
    """A source by its id or a unique prefix of it (as `ophin source list` prints them)."""
    matches = [s for s in list_sources(session) if str(s.id).startswith(ref.strip().lower())]
    if len(matches) != 1:
        raise LookupError(f"{len(matches) or 'no'} sources match {ref!r}")
    return matches[0]


def disable_source(session: Session, ref: str) -> Source:
    source = find_source(session, ref)
    source.enabled = False
    return source


def taxonomy_sources(
    categories: Sequence[str] | None, *, template: str | None, limit: int | None, max_items: int | None
) -> list[SourceSpec]:
    """One YouTube search per taxonomy term (conditions, modalities, anatomy, procedures)."""
    from ophin.knowledge.taxonomy import taxonomy_queries

    return [
        SourceSpec(
            "youtube_search",
            q.query,
            name=f"{q.category}: {q.term}",
            max_items=max_items,
            params={"taxonomy": q.category, "term": q.term},
        )
        for q in taxonomy_queries(categories, template=template, limit=limit)
    ]
