"""Per-stage expectation suites: what each stage's output for a batch of videos must look like.

Each suite pairs a frame builder (the batch's rows, read from Postgres, with the derived columns the checks
need) with its checks. Row checks catch values no correct stage writes (a segment ending after its video, a
score outside [0, 1], a frame whose clip belongs to another video: relations no foreign key can state).
Batch checks catch a stage that runs without error but is broken (every transcript empty, one frame per
ten minutes, no pair with a visual cue, most instructions rejected, accepted duplicates); their thresholds
are settings (`OPHIN_GATES__*`).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    InstructionVerdict,
    Pair,
    PairVerdict,
    TranscriptSegment,
    Verification,
    Video,
    VisualCue,
)
from ophin.db.verdicts import INSTRUCTION_VERDICT
from ophin.quality.coverage import coverage_rows
from ophin.settings import GateSettings

# Slack for float rounding between ffprobe's duration and decoded frame/word times.
EDGE_S = 1.0
# Below this length a video's frames-per-minute says nothing (a 0.3 s clip has one frame: 200/min).
MIN_RATE_S = 20.0


@dataclass(frozen=True)
class Check:
    """One expectation and the sentence a person reads when it fails."""

    says: str
    build: Callable[[Any], Any]  # gx.expectations module -> an Expectation


@dataclass(frozen=True)
class Part:
    """A frame of the batch and the checks it must pass (`rows`: one row per item; `batch`: one per video)."""

    name: str
    frame: pd.DataFrame
    checks: list[Check]
    # Shares of items (rejected, failed, kept for a cue) say nothing about a handful of items: fewer rows
    # than this and the part is recorded as not judged (GateSettings.min_sample).
    min_rows: int = 0
    # How many items the stage read to make these rows; an empty frame fails when it read any (None: the
    # frame is the stage's input itself, and an empty one is simply nothing to judge).
    inputs: int | None = None
    notes: list[str] = field(default_factory=list)  # per-item verdicts recorded with the result


Suite = Callable[[Session, list[uuid.UUID], GateSettings], list[Part]]


def _between(says: str, column: str, lo: float | None = None, hi: float | None = None) -> Check:
    return Check(says, lambda E: E.ExpectColumnValuesToBeBetween(column=column, min_value=lo, max_value=hi))


def _not_null(says: str, column: str) -> Check:
    return Check(says, lambda E: E.ExpectColumnValuesToNotBeNull(column=column))


def _true(says: str, column: str) -> Check:
    return Check(says, lambda E: E.ExpectColumnValuesToBeInSet(column=column, value_set=[True]))


def _mean(says: str, column: str, lo: float | None = None, hi: float | None = None) -> Check:
    return Check(says, lambda E: E.ExpectColumnMeanToBeBetween(column=column, min_value=lo, max_value=hi))


def _span(start_s: float, end_s: float, video_s: float | None) -> dict[str, float]:
    """The columns the span checks read: its start, its length, how far past the end of the video it ends."""
    return {"start_s": start_s, "length_s": end_s - start_s, "past_end_s": end_s - (video_s or 0.0)}


def _span_checks(what: str) -> list[Check]:
    return [
        _between(f"{what} start at or after 0 s", "start_s", 0.0),
        _between(f"{what} end at or after they start", "length_s", 0.0),
        _between(f"{what} end inside their video (+{EDGE_S:g} s)", "past_end_s", None, EDGE_S),
    ]


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=columns)


def acquire_suite(session: Session, videos: list[uuid.UUID], g: GateSettings) -> list[Part]:
    rows = [
        {
            "id": str(v.id),
            "duration_s": v.duration_s,
            "sha256": v.sha256,
            "media_key": v.media_key,
            "frame_size_ok": (v.width or 0) > 0 and (v.height or 0) > 0,
        }
        for v in session.scalars(select(Video).where(Video.id.in_(videos)))
    ]
    checks = [
        _between("every video lasts more than 0 s and at most a day", "duration_s", 0.01, 86400.0),
        _not_null("every video has its content hash", "sha256"),
        _not_null("every video's media is in the store", "media_key"),
        _true("every video has a frame size", "frame_size_ok"),
    ]
    return [Part("videos", _frame(rows, list(rows[0]) if rows else ["id"]), checks)]


def transcribe_suite(session: Session, videos: list[uuid.UUID], g: GateSettings) -> list[Part]:
    segs = session.execute(
        select(TranscriptSegment, Video.duration_s)
        .join(Video, Video.id == TranscriptSegment.video_id)
        .where(TranscriptSegment.video_id.in_(videos))
    ).all()
    rows = [
        {
            "id": str(s.id),
            **_span(s.start_s, s.end_s, duration),
            "text_chars": len(s.text.strip()),
            "no_speech_prob": s.no_speech_prob,
        }
        for s, duration in segs
    ]
    counts = dict(
        session.execute(
            select(TranscriptSegment.video_id, func.count())
            .where(TranscriptSegment.video_id.in_(videos))
            .group_by(TranscriptSegment.video_id)
        ).all()
    )
    with_audio = list(
        session.scalars(select(Video.id).where(Video.id.in_(videos), Video.has_audio.is_(True)))
    )
    per_video = [{"video_id": str(v), "empty": int(counts.get(v, 0) == 0)} for v in with_audio]
    return [
        Part(
            "segments",
            _frame(rows, ["id", "start_s", "length_s", "past_end_s", "text_chars", "no_speech_prob"]),
            [
                *_span_checks("segments"),
                _between("segments have text", "text_chars", 1),
                _between("no-speech probabilities lie in [0, 1]", "no_speech_prob", 0.0, 1.0),
            ],
            inputs=len(with_audio),
        ),
        Part(
            "videos",
            _frame(per_video, ["video_id", "empty"]),
            [_mean("share of videos with audio but no transcript", "empty", None, g.max_empty_transcripts)],
        ),
    ]


def keyframes_suite(session: Session, videos: list[uuid.UUID], g: GateSettings) -> list[Part]:
    found = session.execute(
        select(Frame, Clip.video_id.label("clip_video"), Video.duration_s)
        .join(Clip, Clip.id == Frame.clip_id)
        .join(Video, Video.id == Frame.video_id)
        .where(Frame.video_id.in_(videos))
    ).all()
    rows = [
        {
            "id": str(f.id),
            "t_s": f.t_s,
            "past_end_s": f.t_s - (duration or 0.0),
            "clinical_score": f.clinical_score,
            "same_video_as_clip": f.video_id == clip_video,
            "kept_or_reasoned": bool(f.kept) or bool(f.drop_reason),
        }
        for f, clip_video, duration in found
    ]
    n_frames = Counter(f.video_id for f, _, _ in found)
    per_video = [
        {
            "video_id": str(v.id),
            # Frames per minute of a long enough video; None (not judged) for a short clip or a still.
            "frames_per_minute": (
                60.0 * n_frames.get(v.id, 0) / v.duration_s if (v.duration_s or 0) >= MIN_RATE_S else None
            ),
        }
        for v in session.scalars(select(Video).where(Video.id.in_(videos)))
    ]
    columns = ["id", "t_s", "past_end_s", "clinical_score", "same_video_as_clip", "kept_or_reasoned"]
    return [
        Part(
            "frames",
            _frame(rows, columns),
            [
                _between("frames are taken at or after 0 s", "t_s", 0.0),
                _between(f"frames are taken inside their video (+{EDGE_S:g} s)", "past_end_s", None, EDGE_S),
                _between("clinical scores lie in [0, 1]", "clinical_score", 0.0, 1.0),
                _true("a frame belongs to its clip's video", "same_video_as_clip"),
                _true("a dropped frame says why", "kept_or_reasoned"),
            ],
            inputs=len(videos),
        ),
        Part(
            "videos",
            _frame(per_video, ["video_id", "frames_per_minute"]),
            [
                _between(
                    "keyframes per minute of video",
                    "frames_per_minute",
                    g.min_frames_per_minute,
                    g.max_frames_per_minute,
                )
            ],
        ),
    ]


def pair_suite(session: Session, videos: list[uuid.UUID], g: GateSettings) -> list[Part]:
    found = session.execute(
        select(Pair, Frame.video_id.label("frame_video"), Frame.kept, Video.duration_s)
        .join(Frame, Frame.id == Pair.frame_id)
        .join(Video, Video.id == Pair.video_id)
        .where(Pair.video_id.in_(videos))
    ).all()
    rows = [
        {
            "id": str(p.id),
            **_span(p.start_s, p.end_s, duration),
            "same_video_as_frame": p.video_id == frame_video,
            "frame_kept": bool(kept),
        }
        for p, frame_video, kept, duration in found
    ]
    columns = ["id", "start_s", "length_s", "past_end_s", "same_video_as_frame", "frame_kept"]
    # Kept frames of videos with speech: each must fall in some transcript window.
    spoken = select(TranscriptSegment.video_id).where(TranscriptSegment.video_id.in_(videos)).distinct()
    inputs = session.scalar(
        select(func.count()).select_from(Frame).where(Frame.video_id.in_(spoken), Frame.kept.is_(True))
    )
    return [
        Part(
            "pairs",
            _frame(rows, columns),
            [
                *_span_checks("transcript windows"),
                _true("a pair's frame is of the pair's video", "same_video_as_frame"),
                _true("pairs are made of kept frames only", "frame_kept"),
            ],
            inputs=inputs or 0,
        )
    ]


def cues_suite(session: Session, videos: list[uuid.UUID], g: GateSettings) -> list[Part]:
    cues = session.execute(
        select(VisualCue.id, VisualCue.score, VisualCue.is_visual, VisualCue.text)
        .join(Pair, Pair.id == VisualCue.pair_id)
        .where(Pair.video_id.in_(videos))
    ).all()
    rows = [{"id": str(c.id), "score": c.score, "text_chars": len((c.text or "").strip())} for c in cues]
    # Pairs that had speech to score (a pair dropped for having no words is not the cue stage's doing).
    scored = session.execute(
        select(PairVerdict.pair_id, PairVerdict.status).where(
            PairVerdict.video_id.in_(videos), PairVerdict.n_cues.is_not(None)
        )
    ).all()
    per_pair = [{"id": str(pid), "with_cue": int(status == "kept")} for pid, status in scored]
    # The pairs the cue stage reads (ophin.stages.cues): every one with words has sentences to score.
    inputs = session.scalar(
        select(func.count()).select_from(Pair).where(Pair.video_id.in_(videos), Pair.status == "paired")
    )
    return [
        Part(
            "cues",
            _frame(rows, ["id", "score", "text_chars"]),
            [
                _between("cue scores lie in [0, 1]", "score", 0.0, 1.0),
                _between("scored sentences have text", "text_chars", 1),
            ],
            inputs=inputs or 0,
        ),
        Part(
            "pairs",
            _frame(per_pair, ["id", "with_cue"]),
            [_mean("share of spoken pairs kept for a visual cue", "with_cue", g.min_pairs_with_cues)],
            min_rows=g.min_sample,
        ),
    ]


def _teaches_nothing(session: Session, pairs: list[uuid.UUID]) -> set[uuid.UUID]:
    """Of these pairs, those with usable cues for which the synthesis supports no kind of instruction."""
    from ophin.stages.common import visual_cue_texts_of
    from ophin.synthesis.base import PairContext
    from ophin.synthesis.offline import applicable_kinds
    from ophin.synthesis.reading import clean_cues

    if not pairs:
        return set()
    cues = visual_cue_texts_of(session, set(pairs))
    # The window text too: under derived_diagnoses="narrated" a CoT may rest on a diagnosis said there.
    query = select(Pair.id, Frame.modality, Pair.text).join(Frame, Frame.id == Pair.frame_id)
    rows = session.execute(query.where(Pair.id.in_(pairs))).all()
    modality = {pid: m for pid, m, _ in rows}
    window = {pid: text or "" for pid, _, text in rows}
    out: set[uuid.UUID] = set()
    for p in pairs:
        ctx = PairContext(str(p), tuple(cues.get(p, [])), window.get(p, ""), modality=modality.get(p))
        if clean_cues(ctx.cues) and not applicable_kinds(ctx):
            out.add(p)
    return out


def synthesize_suite(session: Session, videos: list[uuid.UUID], g: GateSettings) -> list[Part]:
    found = session.execute(
        select(Instruction, Pair.frame_id.label("pair_frame"))
        .join(Pair, Pair.id == Instruction.pair_id)
        .where(Pair.video_id.in_(videos))
    ).all()
    rows = [
        {
            "id": str(i.id),
            "failed": int(i.status == "failed"),
            # A written instruction has a question and an answer at least; a failed one has none.
            "turns_or_failed": i.status == "failed" or len(i.turns or []) >= 2,
            "same_frame_as_pair": i.frame_id == pair_frame,
        }
        for i, pair_frame in found
    ]
    written = set(
        session.scalars(
            select(Instruction.pair_id).where(
                Instruction.pair_id.in_(select(Pair.id).where(Pair.video_id.in_(videos)))
            )
        )
    )
    kept = list(
        session.scalars(
            select(PairVerdict.pair_id).where(PairVerdict.video_id.in_(videos), PairVerdict.status == "kept")
        )
    )
    # A pair whose narration teaches nothing (only where structures sit) is meant to get no instruction.
    idle = _teaches_nothing(session, [p for p in kept if p not in written])
    per_pair = [{"id": str(p), "has_instructions": p in written or p in idle} for p in kept]
    return [
        Part(
            "pairs",
            _frame(per_pair, ["id", "has_instructions"]),
            [_true("every kept pair has instructions", "has_instructions")],
        ),
        Part(
            "instructions",
            _frame(rows, ["id", "failed", "turns_or_failed", "same_frame_as_pair"]),
            [
                _true("every written instruction has a question and an answer", "turns_or_failed"),
                _true("an instruction shows its pair's frame", "same_frame_as_pair"),
            ],
            inputs=len(kept),
        ),
        Part(
            "generation",
            _frame(rows, ["id", "failed"]),
            [
                _mean(
                    "share of instructions whose generation failed", "failed", None, g.max_failed_instructions
                )
            ],
            min_rows=g.min_sample,
        ),
    ]


def verify_suite(session: Session, videos: list[uuid.UUID], g: GateSettings) -> list[Part]:
    checks = dict(
        session.execute(
            select(Verification.instruction_id, func.count())
            .where(Verification.passed.is_(False))
            .group_by(Verification.instruction_id)
        ).all()
    )
    verified = set(session.scalars(select(Verification.instruction_id).distinct()))
    mine = (
        select(Instruction.id, InstructionVerdict.status)
        .join(Pair, Pair.id == Instruction.pair_id)
        .outerjoin(InstructionVerdict, INSTRUCTION_VERDICT)
        .where(Pair.video_id.in_(videos), Instruction.status != "failed")
    )
    items = session.execute(mine).all()  # (id, verdict status or None)
    this, other = aliased(InstructionVerdict), aliased(InstructionVerdict)
    this_item, other_item = aliased(Instruction), aliased(Instruction)
    # Accepted instructions that repeat another accepted one (same fingerprint, or same normalised
    # answer on the same image): what the not_duplicate check exists to refuse.
    repeated = set(
        session.scalars(
            select(this.instruction_id)
            .join(this_item, this_item.id == this.instruction_id)
            .join(other, other.instruction_id != this.instruction_id)
            .join(other_item, other_item.id == other.instruction_id)
            .where(
                this.status == "accepted",
                other.status == "accepted",
                this.instruction_id.in_([i for i, _ in items]),
                (other.fingerprint == this.fingerprint)
                | ((other.near_key == this.near_key) & (other_item.frame_id == this_item.frame_id)),
            )
        )
    )
    rows = [
        {
            "id": str(i),
            "verified": i in verified,
            "accepted_passed_all": status != "accepted" or checks.get(i, 0) == 0,
            "rejected": int(status == "rejected"),
            "duplicate": int(i in repeated),
        }
        for i, status in items
    ]
    accepted = [{"id": str(i)} for i, status in items if status == "accepted"]
    images = [r | {"lost_any": int(bool(r["lost"]))} for r in coverage_rows(session, videos)]
    return [
        Part(
            "instructions",
            _frame(rows, ["id", "verified", "accepted_passed_all", "rejected", "duplicate"]),
            [
                _true("every instruction was verified", "verified"),
                _true("an accepted instruction passed every check", "accepted_passed_all"),
                _mean(
                    "share of accepted instructions that repeat another", "duplicate", None, g.max_duplicates
                ),
            ],
        ),
        Part(
            "verdicts",
            _frame(rows, ["id", "rejected"]),
            [_mean("share of instructions rejected by verification", "rejected", None, g.max_rejected)],
            min_rows=g.min_sample,
        ),
        # What verification passes on: none accepted of any written is an empty output.
        Part("accepted", _frame(accepted, ["id"]), [], inputs=len(rows)),
        # An image that loses a narrated finding fails on its own (its records stay out of releases, the
        # reason is in `notes`); the batch fails when too many do.
        Part(
            "images",
            _frame(images, ["frame_id", "lost", "lost_any"]),
            [
                _mean(
                    "share of kept images with a narrated finding in none of their accepted records",
                    "lost_any",
                    None,
                    g.max_images_losing_findings,
                )
            ],
            min_rows=g.min_sample,
            notes=[r["lost"] for r in images if r["lost"]],
        ),
    ]


SUITES: dict[str, Suite] = {
    "acquire": acquire_suite,
    "transcribe": transcribe_suite,
    "keyframes": keyframes_suite,
    "pair": pair_suite,
    "cues": cues_suite,
    "synthesize": synthesize_suite,
    "verify": verify_suite,
}
