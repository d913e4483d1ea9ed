"""Recording a reviewer's label: checked against the vocabulary, one per (instruction, reviewer), upserted.

A label is a row of its own; the instruction it judges is never written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ophin.db.models import Instruction
from ophin.db.review_models import ReviewBatch, ReviewLabel
from ophin.domain.ids import make_id
from ophin.review.vocabulary import SOURCES, LabelError, check_tags, check_verdict


def label_id(instruction_id: uuid.UUID, reviewer: str) -> uuid.UUID:
    return make_id("review_label", instruction_id, reviewer)


@dataclass(frozen=True)
class Label:
    """A label as given (CLI, Label Studio, the review page), before it is checked."""

    instruction_id: str
    verdict: str
    reviewer: str
    source: str
    tags: tuple[str, ...] = field(default_factory=tuple)
    correction: str | None = None
    batch_id: str | None = None


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise LabelError(f"{what} {value!r} is not a UUID") from None


def checked(session: Session, label: Label) -> dict[str, object]:
    """The row to write for a label; LabelError saying what is wrong with it."""
    instruction = parse_uuid(label.instruction_id, "instruction id")
    verdict = check_verdict(label.verdict)
    tags = check_tags(label.tags)
    reviewer = label.reviewer.strip()
    if not reviewer:
        raise LabelError("a label needs a reviewer name")
    if label.source not in SOURCES:
        raise LabelError(f"unknown label source {label.source!r}: one of {', '.join(SOURCES)}")
    if session.get(Instruction, instruction) is None:
        raise LabelError(f"no instruction {instruction}")
    batch = parse_uuid(label.batch_id, "batch id") if label.batch_id else None
    if batch is not None and session.get(ReviewBatch, batch) is None:
        raise LabelError(f"no review batch {batch}")
    correction = (label.correction or "").strip() or None
    return {
        "id": label_id(instruction, reviewer),
        "instruction_id": instruction,
        "batch_id": batch,
        "reviewer": reviewer,
        "verdict": verdict,
        "tags": tags,
        "correction": correction,
        "source": label.source,
    }


def record_labels(session: Session, labels: Iterable[Label]) -> list[uuid.UUID]:
    """Write labels; a reviewer's new label on an instruction replaces their earlier one (a label without a
    batch keeps the batch the earlier one had). All are checked before any is written."""
    # The last label per (instruction, reviewer) wins: one statement may not touch a row twice.
    rows = list({row["id"]: row for row in (checked(session, label) for label in labels)}.values())
    if not rows:
        return []
    stmt = insert(ReviewLabel)
    replace = {c: stmt.excluded[c] for c in ("verdict", "tags", "correction", "source")}
    replace["batch_id"] = func.coalesce(stmt.excluded.batch_id, ReviewLabel.batch_id)
    replace["updated_at"] = func.now()
    session.execute(
        stmt.on_conflict_do_update(index_elements=["instruction_id", "reviewer"], set_=replace), rows
    )
    return [row["id"] for row in rows]  # type: ignore[misc]


def record_label(session: Session, label: Label) -> uuid.UUID:
    return record_labels(session, [label])[0]


def labels_of(session: Session, instruction_id: uuid.UUID) -> list[ReviewLabel]:
    return list(
        session.scalars(
            select(ReviewLabel)
            .where(ReviewLabel.instruction_id == instruction_id)
            .order_by(ReviewLabel.reviewer)
        )
    )
