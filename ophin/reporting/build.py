"""Gather the report from the database (and the object store's frames, and the quality figures when given),
timing each section, then render and write the page. The CLI, a release and the lineage plugin call this."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from ophin.adapters.object_store import ObjectStore
from ophin.reporting.metrics import metrics
from ophin.reporting.plots import funnel_svg, histogram_svg
from ophin.reporting.quality import QualitySet
from ophin.reporting.queries import (
    Distribution,
    GroupYield,
    ModalityKind,
    Stage,
    VideoYield,
    distribution,
    funnel,
    group_yield,
    modality_kind,
    sample_frames,
    video_yield,
)
from ophin.reporting.review import ReviewSummary, review_summary
from ophin.reporting.thumbnails import Thumbnail, thumbnails
from ophin.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class ReportParams:
    top_videos: int = 10  # videos listed with the most and with the fewest accepted instructions
    per_modality: int = 4  # sample images per modality
    bins: int = 40  # histogram buckets


@dataclass
class Report:
    funnel: list[Stage]
    funnel_svg: str | None
    histograms: list[tuple[Distribution, str | None]]
    modality_kind: ModalityKind
    top: list[VideoYield]
    bottom: list[VideoYield]
    groups: list[GroupYield]
    thumbnails: list[Thumbnail]
    review: ReviewSummary | None
    quality: list[QualitySet] | None
    generated_at: str | None = None  # left out of a release's copy: the same database, the same page
    seconds: dict[str, float] = field(default_factory=dict)  # per section, for the bench and the CLI


def build_report(
    session: Session,
    settings: Settings,
    *,
    store: ObjectStore | None = None,
    quality: list[QualitySet] | None = None,
    params: ReportParams | None = None,
    generated_at: str | None = None,
) -> Report:
    p = params or ReportParams()
    seconds: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            seconds[name] = round(time.perf_counter() - t0, 3)

    stages = timed("funnel", lambda: funnel(session))
    dists = timed("histograms", lambda: [distribution(session, m, p.bins) for m in metrics(settings)])
    funnel_plot, histograms = timed(
        "plots", lambda: (funnel_svg(stages), [(d, histogram_svg(d)) for d in dists])
    )
    mk = timed("modality_kind", lambda: modality_kind(session))
    top, bottom = timed("yield_videos", lambda: video_yield(session, p.top_videos))
    groups = timed("yield_groups", lambda: group_yield(session))
    thumbs = timed("samples", lambda: thumbnails(store, sample_frames(session, p.per_modality)))
    review = timed("review", lambda: review_summary(session))
    return Report(
        funnel=stages,
        funnel_svg=funnel_plot,
        histograms=histograms,
        modality_kind=mk,
        top=top,
        bottom=bottom,
        groups=groups,
        thumbnails=thumbs,
        review=review,
        quality=quality,
        generated_at=generated_at,
        seconds=seconds,
    )


def write_report(path: Path, report: Report) -> Path:
    """Render the page into path (its folder made when missing); the render's seconds join the report's."""
    from ophin.reporting.page import render_page

    t0 = time.perf_counter()
    html = render_page(report)
    report.seconds["render"] = round(time.perf_counter() - t0, 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
