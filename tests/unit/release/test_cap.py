"""The per-image record cap: one of each kind first, every finding kept, deterministic."""

from __future__ import annotations

from ophin.release.cap import Candidate, choose_records


def _c(i: int, kind: str, *findings: str) -> Candidate:
    return Candidate(f"{i:02d}", kind, frozenset(findings))


def test_choose_records_keeps_every_finding_and_each_kind_within_the_cap() -> None:
    pool = [
        *(_c(i, "vqa", "drusen") for i in range(6)),
        *(_c(10 + i, "conversation", "drusen") for i in range(4)),
        _c(20, "cot", "drusen"),
        _c(21, "vqa", "haemorrhage"),
        _c(22, "conversation", "cyst"),
    ]
    kept = choose_records(pool, 4)
    by_id = {c.id: c for c in pool}
    assert len(kept) == 4
    assert {k for i in kept for k in by_id[i].findings} == {"drusen", "haemorrhage", "cyst"}
    assert {by_id[i].kind for i in kept} == {"vqa", "conversation", "cot"}
    assert choose_records(list(reversed(pool)), 4) == kept  # order of the rows does not matter


def test_choose_records_keeps_all_under_the_cap_and_balances_kinds_past_the_findings() -> None:
    few = [_c(1, "vqa", "drusen"), _c(2, "cot")]
    assert choose_records(few, 6) == ["01", "02"]
    many = [*(_c(i, "vqa") for i in range(8)), *(_c(10 + i, "cot") for i in range(8))]
    kept = choose_records(many, 6)
    assert len(kept) == 6 and sum(k.startswith("1") for k in kept) == 3
