"""Which records of an image a release keeps: at most N, one of each kind first, then a greedy cover of the
image's findings, then the rest in id order; deterministic, so a release is the same from the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ophin.synthesis.base import KINDS

OVER_CAP = "over the per-image record cap"
LOST_FINDING = "image lost a narrated finding"


@dataclass(frozen=True)
class Candidate:
    id: str
    kind: str
    findings: frozenset[str]


def choose_records(candidates: Sequence[Candidate], cap: int) -> list[str]:
    """The ids kept (at most cap): first the record of each kind adding the most findings, then records
    adding uncovered findings, most first, then the rest by kind in turn; ties by id."""
    pool = sorted(candidates, key=lambda c: c.id)
    if len(pool) <= cap:
        return [c.id for c in pool]
    chosen: list[Candidate] = []
    covered: set[str] = set()

    def take(c: Candidate) -> None:
        chosen.append(c)
        covered.update(c.findings)
        pool.remove(c)

    def best(among: Sequence[Candidate]) -> Candidate:
        return min(among, key=lambda c: (-len(c.findings - covered), c.id))

    for kind in KINDS:
        of_kind = [c for c in pool if c.kind == kind]
        if of_kind and len(chosen) < cap:
            take(best(of_kind))
    while len(chosen) < cap and pool and (gain := best(pool)).findings - covered:
        take(gain)
    while len(chosen) < cap and pool:
        counts = {k: sum(c.kind == k for c in chosen) for k in {c.kind for c in pool}}
        kind = min(counts, key=lambda k: (counts[k], k))
        take(next(c for c in pool if c.kind == kind))
    return sorted(c.id for c in chosen)
