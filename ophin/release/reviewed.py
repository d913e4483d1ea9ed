"""Reviewed releases: people's labels (ophin.review) decide which records a release leaves out and which
answers it replaces by a reviewer's correction. Labels are only read; no instruction is ever changed.

Modes (`release.reviewed`, `ophin export --reviewed`):
  off          labels change nothing (the card and manifest still say what reviewers found);
  exclude-bad  records whose reviewers' consensus is bad are left out;
  corrected    as exclude-bad, and a good or usable record's last answer is replaced by the correction of a
               reviewer who gave the consensus verdict (the newest, when several did).
A mode other than off writes review.json into the release: a data file, so the mode is part of the
release's content-addressed id (ophin.release.build.content_digest) even when no record differs.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ophin.db.review_models import ReviewLabel
from ophin.release.record import ReleaseRecord, Turn
from ophin.review.stats import consensus
from ophin.review.vocabulary import VERDICTS

MODES = ("off", "exclude-bad", "corrected")
REVIEWED_BAD = "reviewed bad (reviewers' consensus)"
REVIEW_FILE = "review.json"
CONSENSUS_RULE = "the most common verdict among an instruction's reviewers; the worse one on a tie"


@dataclass(frozen=True)
class LabelRow:
    instruction_id: uuid.UUID
    reviewer: str
    verdict: str
    correction: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Review:
    """What reviewers said about a release's candidate records, and what the mode does with it."""

    mode: str
    candidates: int  # records the release could hold before review (accepted, gated, licensed, its kinds)
    verdicts: dict[uuid.UUID, str] = field(default_factory=dict)  # instruction -> consensus verdict
    corrections: dict[uuid.UUID, str] = field(default_factory=dict)  # applied under "corrected" only

    @property
    def excluded(self) -> frozenset[uuid.UUID]:
        if self.mode == "off":
            return frozenset()
        return frozenset(i for i, v in self.verdicts.items() if v == "bad")

    def counts(self) -> dict[str, int]:
        by_verdict = Counter(self.verdicts.values())
        return {"reviewed": len(self.verdicts), **{v: by_verdict[v] for v in VERDICTS}}

    def left_out(self) -> dict[str, int]:
        return {REVIEWED_BAD: len(self.excluded)} if self.excluded else {}


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown --reviewed {mode!r}: one of {', '.join(MODES)}")
    return mode


def decide(mode: str, candidates: int, labels: Iterable[LabelRow]) -> Review:
    """Consensus per instruction (ophin.review.stats.consensus); under "corrected", the correction of the
    newest label that gave the consensus verdict, for records not judged bad."""
    check_mode(mode)
    by_instruction: dict[uuid.UUID, list[LabelRow]] = {}
    for label in labels:
        by_instruction.setdefault(label.instruction_id, []).append(label)
    verdicts: dict[uuid.UUID, str] = {}
    corrections: dict[uuid.UUID, str] = {}
    for instruction, rows in by_instruction.items():
        verdict = verdicts[instruction] = consensus(r.verdict for r in rows)
        agreeing = [r for r in rows if r.verdict == verdict and (r.correction or "").strip()]
        if mode == "corrected" and verdict != "bad" and agreeing:
            newest = max(agreeing, key=lambda r: (r.updated_at, r.reviewer))
            corrections[instruction] = newest.correction.strip()  # type: ignore[union-attr]
    return Review(mode, candidates, verdicts, corrections)


def read_review(session: Session, mode: str, candidates: Select[Any]) -> Review:
    """The labels of the candidate instructions (a query of their ids), decided under `mode`."""
    ids = candidates.subquery()
    total = session.scalar(select(func.count()).select_from(ids))
    rows = session.execute(
        select(
            ReviewLabel.instruction_id,
            ReviewLabel.reviewer,
            ReviewLabel.verdict,
            ReviewLabel.correction,
            ReviewLabel.updated_at,
        ).join(ids, ids.c.id == ReviewLabel.instruction_id)
    )
    return decide(mode, int(total or 0), (LabelRow(*row) for row in rows))


def corrected_turns(turns: tuple[Turn, ...], correction: str) -> tuple[Turn, ...]:
    """The turns with the last answer replaced; the questions and earlier answers as they were."""
    last = max((n for n, t in enumerate(turns) if t.role == "gpt"), default=None)
    if last is None:
        return turns
    return (*turns[:last], Turn("gpt", correction), *turns[last + 1 :])


@dataclass
class Applied:
    corrected: int = 0  # records streamed with a reviewer's correction


def apply_corrections(
    records: Iterable[ReleaseRecord], review: Review, applied: Applied
) -> Iterator[ReleaseRecord]:
    for record in records:
        correction = review.corrections.get(uuid.UUID(record.id))
        if correction is not None:
            applied.corrected += 1
            record = replace(record, turns=corrected_turns(record.turns, correction))
        yield record


def write_review_file(root: Path, review: Review) -> None:
    """review.json: the policy the release applied (not the labels), only when a mode is on."""
    if review.mode == "off":
        return
    policy: dict[str, Any] = {
        "reviewed": review.mode,
        "consensus": CONSENSUS_RULE,
        "left_out": "records whose consensus verdict is bad",
    }
    if review.mode == "corrected":
        policy["corrected"] = (
            "the last answer of a good or usable record, by a reviewer who gave the consensus"
        )
    (root / REVIEW_FILE).write_text(json.dumps(policy, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def manifest_block(review: Review, applied: Applied) -> dict[str, Any]:
    """The manifest's and card's `review`: mode, candidates, reviewed, good/usable/bad, left out, corrected
    answers."""
    return {
        "mode": review.mode,
        "candidates": review.candidates,
        **review.counts(),
        "left_out": len(review.excluded),
        "corrected": applied.corrected,
        "consensus": CONSENSUS_RULE,
    }
