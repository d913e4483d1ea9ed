"""Review schema: review batches (stratified samples), their items, and people's labels on instructions.

Labels point at instructions and never change them: which records people judged bad is a query.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from ophin.db.base import Base, Timestamped

# The values the schema allows (ophin.review.vocabulary explains and checks them). The migration that
# creates the check constraints spells the same lists out: a change here needs a migration.
VERDICTS = ("good", "usable", "bad")  # worst last
TAGS = ("misheard_term", "wrong_modality", "not_visible", "invented", "phi", "artefact", "duplicate", "other")
SOURCES = ("ui", "label-studio", "cli")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class ReviewBatch(Base):
    """A stratified sample of instructions drawn for review: same seed, size and name, same batch."""

    __tablename__ = "review_batch"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # uuid5 over (seed, n, name, sampler version)
    name: Mapped[str] = mapped_column(Text, unique=True)
    seed: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)  # asked for; the items may be fewer when the population is
    strata: Mapped[dict[str, Any]] = mapped_column()  # stratum -> {population, sampled}, and the sampler
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ReviewItem(Base):
    __tablename__ = "review_item"
    __table_args__ = (UniqueConstraint("batch_id", "instruction_id"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # uuid5 over (batch, instruction)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review_batch.id", ondelete="CASCADE"))
    instruction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("instruction.id", ondelete="CASCADE"), index=True
    )
    stratum: Mapped[str] = mapped_column(Text)  # kind|modality|status
    position: Mapped[int] = mapped_column(Integer)  # the order a reviewer meets the items in


class ReviewLabel(Timestamped, Base):
    """One reviewer's judgement of one instruction; relabelling replaces it (updated_at says when)."""

    __tablename__ = "review_label"
    __table_args__ = (
        UniqueConstraint("instruction_id", "reviewer"),
        CheckConstraint(f"verdict IN ({_quoted(VERDICTS)})", name="verdict"),
        CheckConstraint(f"tags <@ ARRAY[{_quoted(TAGS)}]::text[]", name="tags"),
        CheckConstraint(f"source IN ({_quoted(SOURCES)})", name="source"),
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # uuid5 over (instruction, reviewer)
    instruction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruction.id", ondelete="CASCADE"))
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("review_batch.id", ondelete="SET NULL"), index=True
    )
    reviewer: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(8))
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    correction: Mapped[str | None] = mapped_column(Text)  # a corrected answer, when the reviewer typed one
    source: Mapped[str] = mapped_column(String(16))
