"""What every table shares: the declarative base with its naming convention and column types, the
created/updated timestamps, the foreign key to a parent row. The table modules import it; none imports
another (models.py gathers them all so that one import registers the whole schema)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, MetaData, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {uuid.UUID: UUID(as_uuid=True), dict[str, Any]: JSONB, list[Any]: JSONB}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


def fk(table: str, nullable: bool = False) -> Mapped[Any]:
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True, nullable=nullable)
