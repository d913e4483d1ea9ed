"""What a release takes from the database: the plan (which frames, which split), then records, streamed.

Only accepted instructions whose video passed every gate of its last batch and whose licence the
open-access gate accepted. The plan holds one small tuple per image (O(images)); records are read with a
server-side cursor in batches, so memory does not grow with the number of instructions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ophin.db.models import (
    Frame,
    Instruction,
    InstructionVerdict,
    Pair,
    PairVerdict,
    Verification,
    Video,
    VisualCue,
)
from ophin.db.verdicts import INSTRUCTION_STATUS, INSTRUCTION_VERDICT, PAIR_VERDICT
from ophin.imaging.phash_index import duplicates_across_groups
from ophin.quality.coverage import coverage_rows
from ophin.quality.gates import gated_videos
from ophin.release.cap import LOST_FINDING, OVER_CAP, Candidate, choose_records
from ophin.release.public import check_public, public_url
from ophin.release.record import ReleaseRecord, Source, Turn
from ophin.release.reviewed import Review, read_review
from ophin.release.splits import SplitPlan, assign_splits
from ophin.settings import ReleaseSettings
from ophin.verification.coverage import record_findings

CROSS_VIDEO_DUPLICATE = "cross-video near-duplicate"
BATCH = 2000  # rows per round trip of the record cursor


@dataclass(frozen=True)
class ReleasePlan:
    kinds: tuple[str, ...]  # empty: every kind
    dropped_frames: frozenset[
        uuid.UUID
    ]  # near-duplicates of an earlier video's image, images losing findings
    dropped_records: frozenset[uuid.UUID]  # records past the per-image cap
    splits: SplitPlan  # video -> split
    left_out: dict[str, int]  # reason -> instructions
    review: Review  # what reviewers said; records it excludes are no candidates at all

    @property
    def excluded(self) -> frozenset[uuid.UUID]:
        return self.review.excluded


def _releasable(kinds: Sequence[str], excluded: frozenset[uuid.UUID] = frozenset()) -> Select[Any]:
    """Accepted instructions of gated, licensed videos, of these kinds, but those reviewers judged bad under
    a reviewed mode (ophin.release.reviewed): left out before the duplicate, coverage and cap decisions."""
    query = (
        select(Instruction.id)
        .join(Pair, Pair.id == Instruction.pair_id)
        .join(Video, Video.id == Pair.video_id)
        .join(InstructionVerdict, INSTRUCTION_VERDICT)
        .where(InstructionVerdict.status == "accepted", Pair.video_id.in_(gated_videos()))
        .where(Video.license_ok.is_(True))
    )
    if excluded:
        query = query.where(Instruction.id.not_in(excluded))
    return query.where(Instruction.kind.in_(kinds)) if kinds else query


def plan_release(
    session: Session,
    settings: ReleaseSettings,
    *,
    kinds: Sequence[str],
    dedup_distance: int,
    reviewed: str = "off",
) -> ReleasePlan:
    """Leave out what reviewers judged bad (under a reviewed mode), drop cross-video near-duplicate images
    (the earlier video keeps its figure) and images that lost a narrated finding, cap each image's records,
    then split by group."""
    review = read_review(session, reviewed, _releasable(kinds))
    ids = _releasable(kinds, review.excluded).subquery()
    frames = session.execute(
        select(Frame.id, Frame.video_id, Frame.phash, func.count(ids.c.id))
        .join(Instruction, Instruction.frame_id == Frame.id)
        .join(ids, ids.c.id == Instruction.id)
        .join(Video, Video.id == Frame.video_id)
        .group_by(Frame.id, Frame.video_id, Frame.phash, Video.url, Frame.t_s)
        .order_by(Video.url, Frame.t_s, Frame.id)
    ).all()
    items = [(f.id, f.video_id, f.phash) for f in frames if f.phash]
    duplicates = frozenset(fid for fid, _ in duplicates_across_groups(items, dedup_distance))
    videos = sorted({f.video_id for f in frames}, key=str)
    lost = frozenset(uuid.UUID(r["frame_id"]) for r in coverage_rows(session, videos) if r["lost"])
    dropped = duplicates | lost
    kept = [f for f in frames if f.id not in dropped]
    plan = assign_splits(
        ((f.video_id, f.phash) for f in kept),
        shares=settings.splits,
        max_distance=settings.split_phash_distance,
        seed=settings.split_seed,
    )
    over_cap = _over_cap(session, kinds, review.excluded, dropped, settings.max_records_per_image)
    counts = {
        **review.left_out(),
        CROSS_VIDEO_DUPLICATE: sum(f[3] for f in frames if f.id in duplicates),
        LOST_FINDING: sum(f[3] for f in frames if f.id in lost - duplicates),
        OVER_CAP: len(over_cap),
    }
    left_out = {reason: n for reason, n in counts.items() if n}
    return ReleasePlan(tuple(kinds), dropped, over_cap, plan, left_out, review)


def _over_cap(
    session: Session,
    kinds: Sequence[str],
    excluded: frozenset[uuid.UUID],
    dropped: frozenset[uuid.UUID],
    cap: int,
) -> frozenset[uuid.UUID]:
    """The records of each image past `cap`, read an image at a time (choose_records picks the kept)."""
    ids = _releasable(kinds, excluded).subquery()
    rows = session.execute(
        select(Instruction.id, Instruction.frame_id, Instruction.kind, Instruction.turns)
        .join(ids, ids.c.id == Instruction.id)
        .order_by(Instruction.frame_id, Instruction.id)
        .execution_options(yield_per=BATCH)
    )
    out: set[uuid.UUID] = set()
    frame: uuid.UUID | None = None
    group: list[Candidate] = []

    def close() -> None:
        if len(group) > cap:
            kept = set(choose_records(group, cap))
            out.update(uuid.UUID(c.id) for c in group if c.id not in kept)

    for row in rows:
        if row.frame_id in dropped:
            continue
        if row.frame_id != frame:
            close()
            frame, group = row.frame_id, []
        group.append(Candidate(str(row.id), row.kind, frozenset(record_findings(row.turns or []))))
    close()
    return frozenset(out)


def iter_records(session: Session, plan: ReleasePlan) -> Iterator[ReleaseRecord]:
    """Every record of the plan, ordered by instruction id (the index and every file follow this order)."""
    ids = _releasable(plan.kinds, plan.excluded).subquery()
    rows = session.execute(
        select(
            Instruction.id,
            Instruction.kind,
            Instruction.turns,
            Instruction.generator,
            Instruction.model,
            Instruction.prompt_version,
            Instruction.llm["served_model"].astext.label("served_model"),
            Frame.id.label("frame_id"),
            Frame.object_key,
            Frame.sha256.label("image_sha256"),
            Frame.t_s,
            Frame.modality,
            Pair.id.label("pair_id"),
            Pair.start_s,
            Pair.end_s,
            Video.id.label("video_id"),
            Video.url,
            Video.title,
            Video.channel,
            Video.license,
            Video.upload_date,
        )
        .join(ids, ids.c.id == Instruction.id)
        .join(Pair, Pair.id == Instruction.pair_id)
        .join(Frame, Frame.id == Instruction.frame_id)
        .join(Video, Video.id == Pair.video_id)
        .order_by(Instruction.id)
        .execution_options(yield_per=BATCH)
    )
    for row in rows:
        if row.frame_id in plan.dropped_frames or row.id in plan.dropped_records:
            continue
        yield ReleaseRecord(
            id=str(row.id),
            kind=row.kind,
            turns=tuple(Turn("human" if t["role"] == "human" else "gpt", t["text"]) for t in row.turns or ()),
            split=plan.splits.split_of[row.video_id],
            image_key=row.object_key,
            image_sha256=row.image_sha256,
            source=Source(
                video_id=str(row.video_id),
                video_url=public_url(row.url),
                video_title=_public_text(row.title),
                creator=_public_text(row.channel),
                license=row.license,
                upload_date=row.upload_date,
                frame_id=str(row.frame_id),
                frame_time_s=float(row.t_s),
                window_start_s=float(row.start_s),
                window_end_s=float(row.end_s),
                pair_id=str(row.pair_id),
                modality=row.modality,
                generator=row.generator,
                model=row.model,
                prompt_version=row.prompt_version,
                served_model=row.served_model,
            ),
        )


def _public_text(value: str | None) -> str | None:
    """Attribution text naming a local path or private host is withheld (the URL still credits the work)."""
    return None if value is None or check_public(value) else value


def release_quality(session: Session, plan: ReleasePlan, video_ids: Sequence[uuid.UUID]) -> dict[str, Any]:
    """Figures measured at release time over the released videos: how much of what was made was kept."""
    if not video_ids:
        return {}
    ids = _releasable(plan.kinds, plan.excluded).subquery()
    by_status = dict(
        session.execute(
            select(INSTRUCTION_STATUS, func.count())
            .select_from(Instruction)
            .join(Pair, Pair.id == Instruction.pair_id)
            .outerjoin(InstructionVerdict, INSTRUCTION_VERDICT)
            .where(Pair.video_id.in_(video_ids))
            .group_by(INSTRUCTION_STATUS)
        ).all()
    )
    made = sum(by_status.values())
    pairs = session.execute(
        select(
            func.count(), func.count().filter(PairVerdict.status == "kept"), func.avg(PairVerdict.cue_score)
        )
        .select_from(Pair)
        .outerjoin(PairVerdict, PAIR_VERDICT)
        .where(Pair.video_id.in_(video_ids))
    ).one()
    frames = session.execute(
        select(
            func.count(func.distinct(Frame.id)),
            func.count(func.distinct(Frame.id)).filter(Frame.faces_blurred > 0),
            func.count(func.distinct(Frame.id)).filter(Frame.text_redacted > 0),
        )
        .join(Instruction, Instruction.frame_id == Frame.id)
        .join(ids, ids.c.id == Instruction.id)
    ).one()
    judged = session.execute(
        select(func.count(), func.avg(Verification.score))
        .join(ids, ids.c.id == Verification.instruction_id)
        .where(Verification.model.is_not(None))
    ).one()
    figures: dict[str, Any] = {
        "instructions_made": made,
        "instructions_accepted": by_status.get("accepted", 0),
        "acceptance_rate": round(by_status.get("accepted", 0) / made, 4) if made else 0.0,
        "instructions_rejected": by_status.get("rejected", 0),
        "instructions_failed": by_status.get("failed", 0),
        "pairs": pairs[0],
        "pairs_kept_share": round(pairs[1] / pairs[0], 4) if pairs[0] else 0.0,
        "mean_cue_score_of_pairs": round(float(pairs[2]), 4) if pairs[2] is not None else None,
        "images_with_faces_blurred": frames[1],
        "images_with_text_redacted": frames[2],
        "llm_judged_accepted": judged[0],
    }
    if judged[1] is not None:
        figures["mean_llm_judge_score"] = round(float(judged[1]), 4)
    return figures


def model_roles(session: Session, plan: ReleasePlan) -> list[dict[str, Any]]:
    """Which models (and prompt versions) wrote the cues and verdicts behind the released instructions."""
    ids = _releasable(plan.kinds, plan.excluded).subquery()
    cues = session.execute(
        select(
            VisualCue.scorer, VisualCue.model, VisualCue.prompt_version, func.count(func.distinct(Pair.id))
        )
        .join(Pair, Pair.id == VisualCue.pair_id)
        .join(Instruction, Instruction.pair_id == Pair.id)
        .join(ids, ids.c.id == Instruction.id)
        .group_by(VisualCue.scorer, VisualCue.model, VisualCue.prompt_version)
    ).all()
    verdicts = session.execute(
        select(Verification.check, Verification.model, Verification.prompt_version, func.count())
        .join(ids, ids.c.id == Verification.instruction_id)
        .where(Verification.model.is_not(None))
        .group_by(Verification.check, Verification.model, Verification.prompt_version)
    ).all()
    roles = [
        {"role": "cues", "model": model or scorer, "prompt_version": pv, "served_model": None, "records": n}
        for scorer, model, pv, n in cues
    ]
    roles += [
        {"role": "verification", "model": model, "prompt_version": pv, "served_model": None, "records": n}
        for _, model, pv, n in verdicts
    ]
    return sorted(roles, key=lambda r: (r["role"], str(r["model"]), str(r["prompt_version"])))
