"""The report's figures, each aggregated in Postgres (GROUP BY, FILTER, width_bucket, percentile_cont): what
comes back is one row per stage, reason, bucket, group or sampled image, never a table's rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Float, String, and_, case, cast, distinct, func, literal, or_, outerjoin, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ophin.db.crawl_models import Source
from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    InstructionVerdict,
    Pair,
    PairVerdict,
    StageRun,
    StageState,
    Video,
    VisualCue,
)
from ophin.db.verdicts import (
    INSTRUCTION_STATUS,
    INSTRUCTION_VERDICT,
    PAIR_DROP_REASON,
    PAIR_STATUS,
    PAIR_VERDICT,
)
from ophin.reporting.metrics import Metric

TOP_REASONS = 5
PERCENTILES = (0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def reason_class(text: ColumnElement[Any]) -> ColumnElement[str]:
    """A reason without its particulars, so that reasons group: ids and numbers become placeholders and
    what follows the first ':' or ' (' goes ("too blurred: sharpness 0.4 < 1.0" -> "too blurred",
    "only 2 word(s) spoken while on screen" -> "only N word(s) spoken while on screen")."""
    no_ids = func.regexp_replace(text, _UUID, "ID", "g")
    head = func.split_part(func.split_part(no_ids, ":", 1), " (", 1)
    return func.left(func.btrim(func.regexp_replace(head, r"[0-9]+(\.[0-9]+)?", "N", "g")), 120)


@dataclass(frozen=True)
class Stage:
    """One step of the funnel: what it looked at, what it passed on, what it dropped and the top reasons."""

    name: str
    passed_label: str  # what the kept count is, in words (the funnel chart's bar label)
    evaluated: int
    kept: int
    dropped: int
    reasons: list[tuple[str, int]] = field(default_factory=list)  # most common first


NO_REASON = "(no reason recorded)"


def _top(session: Session, reason: ColumnElement[Any], *where: Any, source: Any, top: int) -> list:
    """The top reasons of one table's drops by class (reason_class). Rows are grouped by their exact
    text first, so the regular expressions run once per distinct text, not once per row."""
    text = func.coalesce(reason, NO_REASON)
    raw = select(text.label("raw"), func.count().label("n")).select_from(source).where(*where).group_by(text)
    raw = raw.subquery()
    cls, total = reason_class(raw.c.raw).label("reason"), func.sum(raw.c.n)
    query = select(cls, total).group_by(cls).order_by(total.desc(), cls).limit(top)
    return [(r, int(n)) for r, n in session.execute(query).all()]


def _top_labels(session: Session, label: ColumnElement[Any], *where: Any, source: Any, top: int) -> list:
    cls = label.label("reason")
    query = select(cls, func.count()).select_from(source).where(*where).group_by(cls)
    return [(r, n) for r, n in session.execute(query.order_by(func.count().desc(), cls).limit(top)).all()]


def funnel(session: Session, top: int = TOP_REASONS) -> list[Stage]:
    """videos -> clips -> frames kept -> pairs -> cues -> instructions -> accepted, with drop reasons."""
    n_videos = session.scalar(select(func.count()).select_from(Video)) or 0
    n_clips, with_clips = session.execute(select(func.count(), func.count(distinct(Clip.video_id)))).one()
    frames = session.execute(
        select(
            func.count(),
            func.count().filter(Frame.kept),
            func.count(distinct(Frame.clip_id)).filter(Frame.kept),
        ).select_from(Frame)
    ).one()
    scored = outerjoin(Pair, PairVerdict, PAIR_VERDICT)
    pairs = session.execute(
        select(
            func.count(),
            func.count().filter(PAIR_STATUS == "kept"),
            func.count().filter(PAIR_STATUS == "dropped"),
        ).select_from(scored)
    ).one()
    cues = session.execute(select(func.count(), func.count().filter(VisualCue.is_visual))).one()
    by_status = dict(
        session.execute(
            select(INSTRUCTION_STATUS, func.count())
            .select_from(outerjoin(Instruction, InstructionVerdict, INSTRUCTION_VERDICT))
            .group_by(INSTRUCTION_STATUS)
        ).all()
    )
    n_instructions = sum(by_status.values())
    verified = by_status.get("accepted", 0) + by_status.get("rejected", 0)

    failed = (
        select(StageState.stage, func.coalesce(StageRun.error_class, "failed").label("error"))
        .outerjoin(StageRun, StageRun.id == StageState.stage_run_id)
        .where(StageState.status == "failed", StageState.entity_type == "video")
        .subquery()
    )
    label = func.concat(failed.c.stage, literal(" failed: "), failed.c.error)
    video_reasons = _top_labels(session, label, source=failed, top=top)
    # A rejected instruction's reasons are "check: detail", one per failed check: counted by check name.
    reasons = (
        func.jsonb_array_elements_text(InstructionVerdict.reject_reasons).table_valued("value").lateral()
    )
    refused = (
        select(func.split_part(reasons.c.value, ":", 1).label("check"))
        .select_from(InstructionVerdict)
        .join(reasons, true())
        .where(InstructionVerdict.status == "rejected")
        .subquery()
    )
    reject_reasons = _top_labels(session, refused.c.check, source=refused, top=top)
    return [
        Stage("videos", "videos with clips", n_videos, with_clips, n_videos - with_clips, video_reasons),
        Stage("clips", "clips with a kept frame", n_clips, frames[2], n_clips - frames[2]),
        Stage(
            "frames", "frames kept", frames[0], frames[1], frames[0] - frames[1],
            _top(session, Frame.drop_reason, Frame.kept.is_(False), source=Frame, top=top),
        ),
        Stage(
            "pairs", "pairs kept", pairs[0], pairs[1], pairs[2],
            _top(session, PAIR_DROP_REASON, PAIR_STATUS == "dropped", source=scored, top=top),
        ),
        Stage(
            "cues", "visual cues", cues[0], cues[1], cues[0] - cues[1],
            _top(session, VisualCue.reason, VisualCue.is_visual.is_(False), source=VisualCue, top=top),
        ),
        Stage(
            "instructions", "instructions generated", n_instructions,
            n_instructions - by_status.get("failed", 0), by_status.get("failed", 0),
            _top(session, Instruction.error, Instruction.status == "failed", source=Instruction, top=top),
        ),
        Stage(
            "verification", "accepted", verified, by_status.get("accepted", 0), by_status.get("rejected", 0),
            [(r, n) for r, n in reject_reasons],
        ),
    ]  # fmt: skip


@dataclass(frozen=True)
class Distribution:
    """A histogram of one metric: counts per bucket over [lo, hi], and what the thresholds refuse."""

    metric: Metric
    n: int
    lo: float
    hi: float
    counts: list[int]  # len == bins; values below lo or at/above hi fold into the end buckets...
    above: int  # ...except, for an unbounded metric, those past hi (the axis ends near the 99th percentile)
    percentiles: dict[float, float]
    refused: int  # rows a threshold refuses (below a min line or above a max line)
    minimum: float | None = None
    maximum: float | None = None


def _refused(metric: Metric, x: ColumnElement[Any]) -> ColumnElement[bool]:
    tests = [
        (x <= t.value if t.inclusive else x < t.value)
        if t.side == "min"
        else (x >= t.value if t.inclusive else x > t.value)
        for t in metric.thresholds
    ]
    return or_(*tests)


def distribution(session: Session, metric: Metric, bins: int = 40) -> Distribution:
    """Count, extremes, percentiles, refusals and counts per width_bucket. The scores are read once (a
    MATERIALIZED CTE): a bounded score's axis is known before its data, so one statement does it all; an
    unbounded one's axis needs its 99th percentile first, so its buckets take a second statement."""
    values = (
        select(cast(metric.value, Float).label("x"))
        .select_from(metric.source)
        .where(metric.value.is_not(None), *metric.where)
    )
    scores = values.cte("scores").prefix_with("MATERIALIZED")
    x = scores.c.x
    columns: list[Any] = [
        func.count(x),
        func.min(x),
        func.max(x),
        func.percentile_cont(literal(list(PERCENTILES))).within_group(x),
        func.count().filter(_refused(metric, x)),
    ]
    if metric.bounded:
        columns.append(_buckets(scores, 0.0, 1.0, bins).scalar_subquery())
    row = session.execute(select(*columns).select_from(scores)).one()
    n, low, high, cuts, refused = row[:5]
    if not n:
        return Distribution(metric, 0, 0.0, 1.0, [0] * bins, 0, {}, 0)
    lo, hi = _axis(metric, float(low), float(high), cuts)
    rows = row[5] if metric.bounded else session.scalar(_buckets(values.subquery(), lo, hi, bins))
    counts, above = [0] * bins, 0
    for b, c in rows or []:
        if b > bins and not metric.bounded and high > hi:
            above += c
        else:
            counts[min(max(b, 1), bins) - 1] += c
    percentiles = dict(zip(PERCENTILES, (float(c) for c in cuts), strict=True))
    return Distribution(metric, n, lo, hi, counts, above, percentiles, refused, float(low), float(high))


def _buckets(scores: Any, lo: float, hi: float, bins: int) -> Any:
    """[[bucket, count], ...] of width_bucket(x, lo, hi, bins) over scores' x, as one JSON value."""
    bucket = func.width_bucket(scores.c.x, lo, hi, bins).label("bucket")
    grouped = select(bucket, func.count().label("n")).select_from(scores).group_by(bucket).subquery()
    return select(func.json_agg(func.json_build_array(grouped.c.bucket, grouped.c.n)))


def _axis(metric: Metric, low: float, high: float, cuts: list[float]) -> tuple[float, float]:
    """[0, 1] for a bounded score; else from the minimum (or 0) to past the 99th percentile and every
    threshold, so each threshold line falls inside the plot."""
    if metric.bounded:
        return 0.0, 1.0
    lo = min(0.0, low)
    top = max([float(cuts[-1]), *(1.5 * t.value for t in metric.thresholds)])
    hi = min(high, top) if high > lo else lo + 1.0
    hi = max(hi, *(1.05 * t.value for t in metric.thresholds))
    return lo, hi if hi > lo else lo + 1.0


@dataclass(frozen=True)
class ModalityKind:
    modalities: list[str]
    kinds: list[str]
    all: dict[tuple[str, str], int]  # (modality, kind) -> instructions
    accepted: dict[tuple[str, str], int]
    frames_kept: dict[str, int]  # modality -> kept frames


def modality_kind(session: Session) -> ModalityKind:
    modality = func.coalesce(Frame.modality, "unknown").label("modality")
    rows = session.execute(
        select(
            modality,
            Instruction.kind,
            func.count(),
            func.count().filter(InstructionVerdict.status == "accepted"),
        )
        .select_from(Instruction)
        .join(Frame, Frame.id == Instruction.frame_id)
        .outerjoin(InstructionVerdict, INSTRUCTION_VERDICT)
        .group_by(modality, Instruction.kind)
    ).all()
    kept = dict(session.execute(select(modality, func.count()).where(Frame.kept).group_by(modality)).all())
    return ModalityKind(
        modalities=sorted({r[0] for r in rows} | set(kept)),
        kinds=sorted({r[1] for r in rows}),
        all={(m, k): n for m, k, n, _ in rows},
        accepted={(m, k): a for m, k, _, a in rows},
        frames_kept=kept,
    )


@dataclass(frozen=True)
class VideoYield:
    video_id: uuid.UUID
    title: str | None
    url: str
    channel: str | None
    minutes: float | None
    frames_kept: int
    instructions: int
    accepted: int

    @property
    def per_minute(self) -> float | None:
        return self.accepted / self.minutes if self.minutes else None


@dataclass(frozen=True)
class GroupYield:
    by: str  # "source" or "channel"
    name: str
    videos: int
    minutes: float
    frames_kept: int
    instructions: int
    accepted: int


def _per_video() -> Any:
    """Per video: kept frames, instructions and accepted ones (every video, zeros included)."""
    made = (
        select(
            Frame.video_id,
            func.count().label("instructions"),
            func.count().filter(InstructionVerdict.status == "accepted").label("accepted"),
        )
        .select_from(Instruction)
        .join(Frame, Frame.id == Instruction.frame_id)
        .outerjoin(InstructionVerdict, INSTRUCTION_VERDICT)
        .group_by(Frame.video_id)
        .subquery()
    )
    kept = select(Frame.video_id, func.count().label("kept")).where(Frame.kept).group_by(Frame.video_id)
    kept = kept.subquery()
    return (
        select(
            Video.id,
            Video.title,
            Video.url,
            Video.channel,
            Video.duration_s,
            Video.discovered_via,
            func.coalesce(kept.c.kept, 0).label("kept"),
            func.coalesce(made.c.instructions, 0).label("instructions"),
            func.coalesce(made.c.accepted, 0).label("accepted"),
        )
        .outerjoin(made, made.c.video_id == Video.id)
        .outerjoin(kept, kept.c.video_id == Video.id)
        .cte("per_video")
    )


def video_yield(session: Session, n: int = 10) -> tuple[list[VideoYield], list[VideoYield]]:
    """The n videos with the most accepted instructions, and the n with the fewest (ties by URL)."""
    v = _per_video()
    best = func.row_number().over(order_by=(v.c.accepted.desc(), v.c.url, v.c.id)).label("best")
    worst = func.row_number().over(order_by=(v.c.accepted, v.c.url, v.c.id)).label("worst")
    ranked = select(v, best, worst).subquery()
    rows = session.execute(select(ranked).where((ranked.c.best <= n) | (ranked.c.worst <= n))).all()

    def one(r: Any) -> VideoYield:
        minutes = r.duration_s / 60 if r.duration_s else None
        return VideoYield(r.id, r.title, r.url, r.channel, minutes, r.kept, r.instructions, r.accepted)

    top = [one(r) for r in sorted((r for r in rows if r.best <= n), key=lambda r: r.best)]
    bottom = [one(r) for r in sorted((r for r in rows if r.worst <= n), key=lambda r: r.worst)]
    return top, bottom


def group_yield(session: Session) -> list[GroupYield]:
    """Yield per source (how the video was found, named by its crawl source) and per channel."""
    v = _per_video()
    via = func.coalesce(v.c.discovered_via, "unknown")
    channel = func.coalesce(v.c.channel, "unknown")
    kind = case((func.grouping(via) == 0, "source"), else_="channel").label("by")
    name = case((func.grouping(via) == 0, via), else_=channel).label("name")
    grouped = (
        select(
            kind,
            name,
            func.count().label("videos"),
            func.coalesce(func.sum(v.c.duration_s), 0.0).label("seconds"),
            func.sum(v.c.kept).label("kept"),
            func.sum(v.c.instructions).label("instructions"),
            func.sum(v.c.accepted).label("accepted"),
        )
        .group_by(func.grouping_sets(via, channel))
        .subquery()
    )
    source_label = func.coalesce(Source.name, Source.kind + literal(": ") + Source.target)  # NULL: no source
    named = select(grouped, source_label.label("source_name")).outerjoin(
        Source,
        and_(grouped.c.by == "source", grouped.c.name == func.concat("source:", cast(Source.id, String))),
    )
    rows = session.execute(named.order_by(grouped.c.by.desc(), grouped.c.accepted.desc(), grouped.c.name))
    return [
        GroupYield(
            r.by, r.source_name or r.name, r.videos, float(r.seconds) / 60, int(r.kept),
            int(r.instructions), int(r.accepted),
        )
        for r in rows
    ]  # fmt: skip


@dataclass(frozen=True)
class SampleFrame:
    frame_id: uuid.UUID
    modality: str
    object_key: str
    sha256: str | None
    video_url: str
    t_s: float


def sample_frames(session: Session, per_modality: int = 4) -> list[SampleFrame]:
    """A few kept frames of each modality, the same ones every time (the first by id: ids are uuid5)."""
    modality = func.coalesce(Frame.modality, "unknown")
    rank = func.row_number().over(partition_by=modality, order_by=Frame.id).label("rank")
    ranked = select(
        Frame.id, modality.label("modality"), Frame.object_key, Frame.sha256, Frame.video_id, Frame.t_s, rank
    )
    ranked = ranked.where(Frame.kept).subquery()
    rows = session.execute(
        select(ranked, Video.url)
        .join(Video, Video.id == ranked.c.video_id)
        .where(ranked.c.rank <= per_modality)
        .order_by(ranked.c.modality, ranked.c.rank)
    ).all()
    return [SampleFrame(r.id, r.modality, r.object_key, r.sha256, r.url, r.t_s) for r in rows]
