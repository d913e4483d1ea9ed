"""What a reviewer sees of each item in a batch: the image, the turns, the narration it came from with a link
to that second of the video, and every verification check's verdict and score."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ophin.db.models import Frame, Instruction, InstructionVerdict, Pair, Verification, Video
from ophin.db.review_models import ReviewItem
from ophin.db.verdicts import INSTRUCTION_VERDICT
from ophin.lineage.view import video_link


@dataclass(frozen=True)
class CheckVerdict:
    check: str
    passed: bool
    score: float | None
    detail: str


@dataclass(frozen=True)
class ReviewRecord:
    position: int
    stratum: str
    instruction_id: uuid.UUID
    kind: str
    status: str  # the verifier's verdict: accepted | rejected
    generator: str
    turns: list[dict[str, Any]]  # [{role: human|gpt, text}]
    frame_id: uuid.UUID
    image_key: str  # the frame's (redacted) image in the object store
    image_sha256: str | None
    modality: str | None
    narration: str  # the pair's transcript window
    start_s: float
    end_s: float
    video_id: uuid.UUID
    video_url: str
    video_title: str | None
    video_href: str | None  # opens the video at start_s where its host allows; None for local files
    checks: tuple[CheckVerdict, ...]


def batch_records(session: Session, batch_id: uuid.UUID, position: int | None = None) -> list[ReviewRecord]:
    """The batch's items in review order (only the one at `position`, when given: the review page)."""
    query = (
        select(ReviewItem, Instruction, InstructionVerdict.status, Frame, Pair, Video)
        .join(Instruction, Instruction.id == ReviewItem.instruction_id)
        .outerjoin(InstructionVerdict, INSTRUCTION_VERDICT)
        .join(Frame, Frame.id == Instruction.frame_id)
        .join(Pair, Pair.id == Instruction.pair_id)
        .join(Video, Video.id == Frame.video_id)
        .where(ReviewItem.batch_id == batch_id)
        .order_by(ReviewItem.position)
    )
    if position is not None:
        query = query.where(ReviewItem.position == position)
    rows = session.execute(query).all()
    checks: dict[uuid.UUID, list[CheckVerdict]] = {}
    ids = [item.instruction_id for item, *_ in rows]
    for v in session.scalars(
        select(Verification).where(Verification.instruction_id.in_(ids)).order_by(Verification.check)
    ):
        checks.setdefault(v.instruction_id, []).append(CheckVerdict(v.check, v.passed, v.score, v.detail))
    out = []
    for item, instruction, verdict, frame, pair, video in rows:
        link = video_link(video.url, pair.start_s)
        out.append(
            ReviewRecord(
                position=item.position,
                stratum=item.stratum,
                instruction_id=instruction.id,
                kind=instruction.kind,
                status=verdict or instruction.status,
                generator=instruction.generator,
                turns=[{"role": t.get("role"), "text": t.get("text", "")} for t in instruction.turns or []],
                frame_id=frame.id,
                image_key=frame.object_key,
                image_sha256=frame.sha256,
                modality=frame.modality,
                narration=pair.text,
                start_s=pair.start_s,
                end_s=pair.end_s,
                video_id=video.id,
                video_url=video.url,
                video_title=video.title,
                video_href=link["href"] if link else None,
                checks=tuple(checks.get(instruction.id, ())),
            )
        )
    return out
