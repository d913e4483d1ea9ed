"""PhashIndex agrees with a brute-force scan; cross-video duplicates keep the first showing."""

from __future__ import annotations

import random

import pytest

from ophin.imaging.phash_index import PhashIndex, brute_force, duplicates_across_groups


def _flip(h: int, bits: list[int]) -> int:
    for b in bits:
        h ^= 1 << b
    return h


@pytest.mark.parametrize("d", [0, 1, 3, 4, 6, 10, 13])
def test_phash_index_matches_brute_force(d: int) -> None:
    rng = random.Random(d)
    base = [rng.getrandbits(64) for _ in range(300)]
    # Near copies at every distance up to d + 2, so both sides of the limit are present.
    hashes = base + [_flip(h, rng.sample(range(64), rng.randint(0, d + 2))) for h in base[:200]]
    items = [(i, f"{h:016x}") for i, h in enumerate(hashes)]
    index = PhashIndex(d)
    for key, h in items:
        index.add(key, h)
    for key, h in items[::7]:
        got = sorted(k for k, _ in index.query(h))
        assert got == sorted(brute_force(items, h, d)), key


def test_phash_index_reports_distances_nearest_first_and_refuses_wider_queries() -> None:
    index = PhashIndex(4)
    index.add("a", "ffffffffffffffff")
    index.add("b", "fffffffffffffff0")
    index.add("c", "0000000000000000")
    assert index.query("ffffffffffffffff") == [("a", 0), ("b", 4)]
    assert index.query("ffffffffffffffff", max_distance=2) == [("a", 0)]
    with pytest.raises(ValueError):
        index.query("ffffffffffffffff", max_distance=5)
    with pytest.raises(ValueError):
        PhashIndex(64)


def test_duplicates_across_groups_ignores_same_video_and_keeps_the_first() -> None:
    a = 0x0123456789ABCDEF
    items = [
        ("v1f1", "v1", a),
        ("v1f2", "v1", _flip(a, [1])),  # same video: not a cross-video duplicate
        ("v2f1", "v2", _flip(a, [2, 3])),  # repeats v1's figure
        ("v2f2", "v2", a ^ 0xFFFF0000FFFF0000),  # unrelated
        ("v3f1", "v3", _flip(a, [5])),
    ]
    dups = duplicates_across_groups(items, 4)
    assert [d for d, _ in dups] == ["v2f1", "v3f1"]
    assert all(orig in ("v1f1", "v1f2") for _, orig in dups)
    assert duplicates_across_groups(items, 0) == []
