"""INSERT ... ON CONFLICT helpers: every lineage write is an upsert keyed by a deterministic id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ophin.db.models import Base


def upsert(
    session: Session,
    model: type[Base],
    rows: Iterable[Mapping[str, Any]],
    *,
    key: Sequence[str] = ("id",),
    insert_only: Sequence[str] = (),
) -> int:
    """Insert rows, or update every non-key column of the row with the same key (except `insert_only`
    columns, which keep their first value). Returns the row count.

    Rows with the same columns go in as one executemany of one statement, which SQLAlchemy compiles once
    and caches (a multi-row VALUES literal is compiled afresh for every batch: 59% of a crawl's time).
    """
    rows = [dict(r) for r in rows]
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(sorted(row)), []).append(row)
    for columns, group in by_columns.items():
        stmt = insert(model)
        update = {c: stmt.excluded[c] for c in columns if c not in key and c not in insert_only}
        if "updated_at" in model.__table__.c:
            update["updated_at"] = func.now()
        stmt = (
            stmt.on_conflict_do_update(index_elements=list(key), set_=update)
            if update
            else stmt.on_conflict_do_nothing(index_elements=list(key))
        )
        session.execute(stmt, group)
    return len(rows)


def delete_stale(
    session: Session, model: type[Base], where: Any, keep: Iterable[Any], *, key: str = "id"
) -> int:
    """Delete rows matching `where` whose `key` is not in `keep`: what a re-run with new params superseded."""
    keep = list(keep)
    stmt = delete(model).where(where)
    if keep:
        stmt = stmt.where(getattr(model, key).notin_(keep))
    return session.execute(stmt).rowcount or 0
