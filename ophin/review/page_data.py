"""What the review page reads and writes: batches with each reviewer's progress, one item as a reviewer sees
it (ophin.review.records), and a label POSTed by the page, checked and recorded by ophin.review.labels."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from ophin.db.models import Frame
from ophin.db.review_models import ReviewBatch, ReviewItem, ReviewLabel
from ophin.review.labels import Label, parse_uuid, record_label
from ophin.review.records import ReviewRecord, batch_records
from ophin.review.vocabulary import LabelError

MAX_CORRECTION = 20_000  # characters: a corrected answer, not a document


@dataclass(frozen=True)
class BatchProgress:
    id: uuid.UUID
    name: str
    created_at: datetime
    items: int
    mine: int  # items this reviewer labelled
    anyone: int  # items anybody labelled
    verdicts: dict[str, int]  # this reviewer's verdicts on the batch's items


def batch_progress(session: Session, reviewer: str) -> list[BatchProgress]:
    """Every batch, newest first, with how far this reviewer (and anybody) got through it."""
    mine = aliased(ReviewLabel)
    anyone = exists().where(ReviewLabel.instruction_id == ReviewItem.instruction_id)
    rows = session.execute(
        select(
            ReviewBatch.id,
            ReviewBatch.name,
            ReviewBatch.created_at,
            func.count(ReviewItem.id),
            func.count(mine.id),
            func.count(ReviewItem.id).filter(anyone),
            func.count().filter(mine.verdict == "good"),
            func.count().filter(mine.verdict == "usable"),
            func.count().filter(mine.verdict == "bad"),
        )
        .outerjoin(ReviewItem, ReviewItem.batch_id == ReviewBatch.id)
        .outerjoin(mine, and_(mine.instruction_id == ReviewItem.instruction_id, mine.reviewer == reviewer))
        .group_by(ReviewBatch.id, ReviewBatch.name, ReviewBatch.created_at)
        .order_by(ReviewBatch.created_at.desc(), ReviewBatch.name)
    ).all()
    return [
        BatchProgress(r[0], r[1], r[2], r[3], r[4], r[5], {"good": r[6], "usable": r[7], "bad": r[8]})
        for r in rows
    ]


def find_batch_by_id(session: Session, batch_id: str) -> ReviewBatch | None:
    try:
        return session.get(ReviewBatch, uuid.UUID(batch_id))
    except ValueError:
        return None


def first_unlabelled(session: Session, batch_id: uuid.UUID, reviewer: str) -> int | None:
    """The position of the batch's first item this reviewer has not labelled; None when all are."""
    labelled = exists().where(
        ReviewLabel.instruction_id == ReviewItem.instruction_id, ReviewLabel.reviewer == reviewer
    )
    return session.scalar(
        select(func.min(ReviewItem.position)).where(ReviewItem.batch_id == batch_id, ~labelled)
    )


@dataclass(frozen=True)
class CropView:
    """Where the stored (refined) image sits in the frame it was cut from, as shares of the source frame."""

    left: float
    top: float
    width: float
    height: float
    source_width: int
    source_height: int
    removed: list[str]
    reason: str


def crop_view(frame: Frame | None) -> CropView | None:
    """None when the frame was stored whole (no refinement cut anything) or its sizes are unknown."""
    box = (frame.crop_box or {}).get("box") if frame is not None else None
    if frame is None or not box or not frame.source_width or not frame.source_height:
        return None
    x, y, w, h = (float(v) for v in box)
    sw, sh = frame.source_width, frame.source_height
    if (x, y, w, h) == (0, 0, sw, sh):
        return None
    return CropView(
        x / sw,
        y / sh,
        w / sw,
        h / sh,
        sw,
        sh,
        [str(r) for r in frame.crop_box.get("removed") or []],  # type: ignore[union-attr]
        str(frame.crop_box.get("reason") or ""),  # type: ignore[union-attr]
    )


@dataclass(frozen=True)
class ItemView:
    batch: ReviewBatch
    record: ReviewRecord
    items: int  # in the batch
    mine: int  # items this reviewer labelled
    label: ReviewLabel | None  # this reviewer's earlier label of this item
    crop: CropView | None

    @property
    def answer(self) -> str:
        """The text a correction replaces: the last answer (a VQA's answer, a conversation's last turn, the
        whole chain of thought)."""
        answers = [t["text"] for t in self.record.turns if t.get("role") == "gpt"]
        return answers[-1] if answers else ""


def item_view(session: Session, batch: ReviewBatch, position: int, reviewer: str) -> ItemView | None:
    found = batch_records(session, batch.id, position)
    if not found:
        return None
    record = found[0]
    label = session.scalars(
        select(ReviewLabel).where(
            ReviewLabel.instruction_id == record.instruction_id, ReviewLabel.reviewer == reviewer
        )
    ).first()
    items, mine = session.execute(
        select(func.count(ReviewItem.id), func.count(ReviewLabel.id))
        .outerjoin(
            ReviewLabel,
            and_(ReviewLabel.instruction_id == ReviewItem.instruction_id, ReviewLabel.reviewer == reviewer),
        )
        .where(ReviewItem.batch_id == batch.id)
    ).one()
    return ItemView(batch, record, items, mine, label, crop_view(session.get(Frame, record.frame_id)))


def save_label(session: Session, payload: Any, reviewer: str) -> dict[str, Any]:
    """Record the page's label {batch_id, instruction_id, verdict, tags, correction} by `reviewer` (the
    logged-in user, never a name from the payload). LabelError says what is wrong; the instruction must be
    an item of the batch."""
    if not isinstance(payload, Mapping):
        raise LabelError("expected a JSON object {batch_id, instruction_id, verdict, tags, correction}")
    tags = payload.get("tags") or []
    correction = payload.get("correction")
    fields = (payload.get("batch_id"), payload.get("instruction_id"), payload.get("verdict"))
    if not all(isinstance(v, str) for v in fields):
        raise LabelError("batch_id, instruction_id and verdict are required strings")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise LabelError("tags must be a list of strings")
    if correction is not None and (not isinstance(correction, str) or len(correction) > MAX_CORRECTION):
        raise LabelError(f"correction must be a string of at most {MAX_CORRECTION} characters")
    batch, instruction = (
        parse_uuid(payload["batch_id"], "batch id"),
        parse_uuid(payload["instruction_id"], "instruction id"),
    )
    item = session.scalar(
        select(ReviewItem.position).where(
            ReviewItem.batch_id == batch, ReviewItem.instruction_id == instruction
        )
    )
    if item is None:
        raise LabelError(f"instruction {instruction} is not an item of review batch {batch}")
    label = Label(
        instruction_id=str(instruction),
        verdict=payload["verdict"],
        reviewer=reviewer,
        source="ui",
        tags=tuple(tags),
        correction=correction,
        batch_id=str(batch),
    )
    label_id = record_label(session, label)
    return {"label_id": str(label_id), "position": item, "reviewer": reviewer}
