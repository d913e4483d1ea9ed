"""Expectation suites per stage, as plain functions of the gx.expectations module."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select

from ophin.db.models import Instruction, Pair
from ophin.synthesis.base import KINDS


def instruction_frame(session: Any, video_ids: list[Any]) -> pd.DataFrame:
    rows = session.execute(
        select(
            Instruction.id, Instruction.kind, Instruction.status, Instruction.turns, Instruction.fingerprint
        )
        .join(Pair, Pair.id == Instruction.pair_id)
        .where(Pair.video_id.in_(video_ids))
    ).all()
    records = []
    for r in rows:
        answers = [t["text"] for t in (r.turns or []) if t.get("role") == "gpt"]
        records.append(
            {
                "id": str(r.id),
                "kind": r.kind,
                "status": r.status,
                "accepted": int(r.status == "accepted"),
                "n_turns": len(r.turns or []),
                "min_answer_chars": min((len(a) for a in answers), default=0),
                "accepted_fingerprint": r.fingerprint if r.status == "accepted" else None,
            }
        )
    columns = ["id", "kind", "status", "accepted", "n_turns", "min_answer_chars", "accepted_fingerprint"]
    return pd.DataFrame.from_records(records, columns=columns)


def instruction_suite(min_accepted_fraction: float, min_chars: int, max_chars: int):  # noqa: ANN201
    def build(E: Any) -> list[Any]:  # noqa: N803 - E is the gx.expectations module
        return [
            E.ExpectTableRowCountToBeBetween(min_value=1),
            E.ExpectColumnValuesToBeUnique(column="id"),
            E.ExpectColumnValuesToBeInSet(column="kind", value_set=list(KINDS)),
            E.ExpectColumnValuesToBeInSet(column="status", value_set=["accepted", "rejected", "failed"]),
            E.ExpectColumnMeanToBeBetween(column="accepted", min_value=min_accepted_fraction),
            # Accepted items must not repeat and must respect the answer length bounds.
            E.ExpectColumnValuesToBeUnique(column="accepted_fingerprint"),
            E.ExpectColumnValuesToBeBetween(
                column="min_answer_chars",
                min_value=min_chars,
                max_value=max_chars,
                row_condition='status=="accepted"',
                condition_parser="pandas",
            ),
        ]

    return build
