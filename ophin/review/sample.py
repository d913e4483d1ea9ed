"""Drawing a review batch: a stratified, seeded, idempotent sample of the verified instructions.

Strata are kind x frame modality x the verifier's verdict (accepted / rejected), so a batch shows the
verifier's false alarms as well as its misses. Within a stratum the draw goes round the videos, so one long
lecture cannot fill it. Order comes from md5(seed, instruction id), never random(): the same seed draws the
same items on any machine. Counting and drawing run in Postgres; only the drawn ids come back.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping

from sqlalchemy import cast, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from ophin.db.review_models import ReviewBatch, ReviewItem
from ophin.domain.ids import make_id

SAMPLER = "strata=kind|modality|status; round-robin over videos by md5(seed:id); v1"
VERIFIED = ("accepted", "rejected")

_POPULATION = """
    SELECT i.id, f.video_id,
           i.kind || '|' || coalesce(f.modality, 'unknown') || '|' || v.status AS stratum,
           md5(CAST(:seed AS text) || ':' || CAST(i.id AS text)) AS h
    FROM instruction i JOIN frame f ON f.id = i.frame_id JOIN instruction_verdict v ON v.instruction_id = i.id
"""
_COUNTS = text(f"SELECT stratum, count(*) FROM ({_POPULATION}) pop GROUP BY stratum")  # noqa: S608 - constant
_DRAW = text(
    f"""
    WITH ranked AS (
        SELECT pop.*, row_number() OVER (PARTITION BY stratum, video_id ORDER BY h) AS video_round
        FROM ({_POPULATION}) pop
    ), ordered AS (
        SELECT ranked.*, row_number() OVER (PARTITION BY stratum ORDER BY video_round, h) AS draw_rank
        FROM ranked
    )
    SELECT o.id, o.stratum FROM ordered o
    JOIN jsonb_each_text(CAST(:allocation AS jsonb)) a ON a.key = o.stratum
    WHERE o.draw_rank <= CAST(a.value AS integer)
    ORDER BY o.h, o.id
    """  # noqa: S608 - a constant
)


class SampleError(ValueError):
    """A batch that cannot be drawn: nothing verified yet, or a name already taken by another batch."""


def batch_id(seed: int, n: int, name: str) -> uuid.UUID:
    return make_id("review_batch", seed, n, name, SAMPLER)


def default_name(n: int, seed: int) -> str:
    return f"sample-n{n}-seed{seed}"


def allocate(counts: Mapping[str, int], n: int) -> dict[str, int]:
    """How many items each stratum gives: proportional to its size (largest remainders), at least one from
    every non-empty stratum when n allows, never more than it holds. With fewer items than strata, one
    each from the largest strata. Ties go to the stratum whose name sorts first."""
    strata = {s: c for s, c in sorted(counts.items()) if c > 0}
    total = sum(strata.values())
    n = min(n, total)
    if n <= 0:
        return {}
    if n < len(strata):
        chosen = sorted(strata, key=lambda s: -strata[s])[:n]  # stable: name order among equal sizes
        return {s: 1 for s in sorted(chosen)}
    quota = {s: n * c / total for s, c in strata.items()}
    alloc = {s: min(c, max(1, math.floor(quota[s]))) for s, c in strata.items()}
    while sum(alloc.values()) < n:
        room = [s for s in strata if alloc[s] < strata[s]]
        alloc[max(room, key=lambda s: quota[s] - alloc[s])] += 1
    while sum(alloc.values()) > n:  # only when the floor of one lifted small strata past their quota
        spare = [s for s in strata if alloc[s] > 1]
        alloc[min(spare, key=lambda s: quota[s] - alloc[s])] -= 1
    return alloc


def sample_batch(session: Session, n: int, seed: int = 0, name: str | None = None) -> uuid.UUID:
    """Draw (or find again) the batch for (n, seed, name); returns its id. A batch once drawn is kept as it
    was: asking again returns it unchanged, even if instructions were added since."""
    if n < 1:
        raise SampleError(f"--n must be at least 1, not {n}")
    name = name or default_name(n, seed)
    bid = batch_id(seed, n, name)
    if session.get(ReviewBatch, bid) is not None:
        return bid
    other = session.scalars(select(ReviewBatch).where(ReviewBatch.name == name)).first()
    if other is not None:
        raise SampleError(
            f"a review batch named {name!r} already exists (n={other.n}, seed={other.seed}): "
            "pick another name"
        )
    counts = {s: int(c) for s, c in session.execute(_COUNTS, {"seed": seed})}
    allocation = allocate(counts, n)
    if not allocation:
        raise SampleError("no verified instructions (accepted or rejected) to sample: run the pipeline first")
    drawn = session.execute(_DRAW, {"seed": seed, "allocation": json.dumps(allocation)}).all()
    strata = {s: {"population": counts[s], "sampled": allocation.get(s, 0)} for s in sorted(counts)}
    session.execute(
        insert(ReviewBatch)
        .values(id=bid, name=name, seed=seed, n=n, strata={"sampler": SAMPLER, "strata": strata})
        .on_conflict_do_nothing(index_elements=["id"])
    )
    items = [
        {
            "id": make_id("review_item", bid, row.id),
            "batch_id": bid,
            "instruction_id": row.id,
            "stratum": row.stratum,
            "position": position,
        }
        for position, row in enumerate(drawn)
    ]
    session.execute(
        insert(ReviewItem).on_conflict_do_nothing(index_elements=["batch_id", "instruction_id"]), items
    )
    return bid


def find_batch(session: Session, ref: str) -> ReviewBatch:
    """A batch by name, id, or a unique prefix of its id; LookupError otherwise."""
    by_name = session.scalars(select(ReviewBatch).where(ReviewBatch.name == ref)).first()
    if by_name is not None:
        return by_name
    prefix = ref.strip().lower()
    matches = (
        session.scalars(
            select(ReviewBatch).where(cast(ReviewBatch.id, Text).startswith(prefix)).limit(2)
        ).all()
        if len(prefix) >= 4
        else []
    )
    if len(matches) != 1:
        which = "a unique" if matches else "any"
        raise LookupError(f"{ref!r} is neither a review batch name nor {which} batch id")
    return matches[0]
