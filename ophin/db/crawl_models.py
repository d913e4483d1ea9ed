"""Crawl schema: sources, crawl runs, the archive of every video the crawler saw, and subtitle tracks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from ophin.db.base import Base, Timestamped


class Source(Timestamped, Base):
    """Where the crawler looks: a YouTube search, channel or playlist, an RSS feed, a page, a URL list."""

    __tablename__ = "source"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # uuid5 over (kind, target)
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text)  # a search query, or the canonical URL listed
    name: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    max_items: Mapped[int] = mapped_column(Integer)  # entries read per crawl
    # Newest first: a crawl stops at the first video it already knows, once one pass has read to the end.
    newest_first: Mapped[bool] = mapped_column(Boolean, server_default="true")
    listing_complete: Mapped[bool] = mapped_column(Boolean, server_default="false")
    params: Mapped[dict[str, Any]] = mapped_column(server_default="{}")  # e.g. the taxonomy term behind it
    last_crawl_run_id: Mapped[uuid.UUID | None] = mapped_column()
    last_crawled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CrawlRun(Base):
    """One crawl: which sources it read, what it saw, what was new, what it rejected and why."""

    __tablename__ = "crawl_run"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # running, succeeded, partial, rate_limited, failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source_ids: Mapped[list[Any]] = mapped_column(server_default="[]")
    counts: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    rejected: Mapped[dict[str, Any]] = mapped_column(server_default="{}")  # reason class -> count
    error: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[dict[str, Any]] = mapped_column(server_default="{}")  # the Airflow task, if any
    # The lease of a running crawl, renewed by its heartbeat: once expired, the next crawl fails the run
    # (its process died without closing it). NULL on runs opened before leases: started_at stands in.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CrawlCandidate(Timestamped, Base):
    """The archive: every video any source listed, once, with its licence decision and download outcome."""

    __tablename__ = "crawl_candidate"
    __table_args__ = (Index("ix_crawl_candidate_due", "status", "next_attempt_at"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # uuid5 over key
    # "<extractor> <id>" for sites with stable ids (yt-dlp's archive spelling), else "url <canonical URL>".
    key: Mapped[str] = mapped_column(Text, unique=True)
    url: Mapped[str] = mapped_column(Text)
    source_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("source.id", ondelete="SET NULL"))
    first_crawl_run_id: Mapped[uuid.UUID | None] = mapped_column()
    last_crawl_run_id: Mapped[uuid.UUID | None] = mapped_column()
    # discovered, accepted, rejected, downloaded, duplicate, failed
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    failure_class: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    license: Mapped[str | None] = mapped_column(Text)
    license_ok: Mapped[bool | None] = mapped_column(Boolean)
    license_evidence: Mapped[dict[str, Any] | None] = mapped_column()
    title: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    upload_date: Mapped[str | None] = mapped_column(String(10))  # YYYY-MM-DD as the source states it
    duration_s: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(16))
    video_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("video.id", ondelete="SET NULL"), index=True
    )


class CrawlSighting(Base):
    """What one crawl run did with one listed video (new, known, rejected, downloaded, ...)."""

    __tablename__ = "crawl_sighting"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # uuid5 over (run, candidate)
    crawl_run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("crawl_candidate.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[uuid.UUID | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SubtitleTrack(Timestamped, Base):
    """A creator or automatic caption track found at acquisition: an alternative transcript source."""

    __tablename__ = "subtitle_track"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # uuid5 over (video, language, kind)
    video_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # creator, automatic
    format: Mapped[str] = mapped_column(String(16))
    object_key: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    cue_count: Mapped[int] = mapped_column(Integer)
