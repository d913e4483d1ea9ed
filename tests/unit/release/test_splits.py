"""Splits by group: a video and every video sharing a near-duplicate image land in one split."""

from __future__ import annotations

import random
from collections import Counter

from ophin.release.splits import assign_splits, split_for

SHARES = {"train": 0.8, "validation": 0.1, "test": 0.1}


def _phash(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}"


def _flip(phash: str, bits: int) -> str:
    value = int(phash, 16)
    for b in range(bits):
        value ^= 1 << (b * 7)
    return f"{value:016x}"


def test_assign_splits_keeps_a_shared_image_in_one_split() -> None:
    rng = random.Random(1)
    frames = [(f"v{i:03d}", _phash(rng)) for i in range(300) for _ in range(3)]
    # The same figure (a few bits apart) in three videos whose own hashes would scatter them.
    shared = _phash(rng)
    # Three videos the hash alone would put in three different splits.
    by_split = {split_for(f"v{i:03d}", SHARES, "s"): f"v{i:03d}" for i in range(300)}
    linked = sorted(by_split.values())
    assert len(linked) == 3
    frames += [(v, _flip(shared, i)) for i, v in enumerate(linked)]
    plan = assign_splits(frames, shares=SHARES, max_distance=6, seed="s")
    assert len({plan.split_of[v] for v in linked}) == 1
    assert {plan.group_of[v] for v in linked} == {linked[0]}


def test_assign_splits_chains_groups_transitively() -> None:
    a = "00000000000000ff"
    frames = [("x", a), ("y", _flip(a, 3)), ("y", "ffffffff00000000"), ("z", _flip("ffffffff00000000", 2))]
    plan = assign_splits(frames, shares=SHARES, max_distance=4, seed="s")
    assert set(plan.group_of.values()) == {"x"}
    assert plan.largest_group_share() == 1.0


def test_assign_splits_does_not_link_distant_images() -> None:
    frames = [("x", "0000000000000000"), ("y", "00000000000000ff")]  # 8 bits apart
    plan = assign_splits(frames, shares=SHARES, max_distance=6, seed="s")
    assert plan.group_of == {"x": "x", "y": "y"}


def test_assign_splits_is_deterministic_and_near_its_shares() -> None:
    rng = random.Random(7)
    frames = [(f"v{i}", _phash(rng)) for i in range(4000)]
    one = assign_splits(frames, shares=SHARES, max_distance=2, seed="s")
    again = assign_splits(list(reversed(frames)), shares=SHARES, max_distance=2, seed="s")
    assert one.split_of == again.split_of
    counts = Counter(one.split_of.values())
    for split, share in SHARES.items():
        assert abs(counts[split] / 4000 - share) < 0.03
    reseeded = assign_splits(frames, shares=SHARES, max_distance=2, seed="other")
    assert reseeded.split_of != one.split_of


def test_assign_splits_is_stable_when_videos_are_added() -> None:
    rng = random.Random(3)
    first = [(f"v{i}", _phash(rng)) for i in range(500)]
    more = first + [(f"w{i}", _phash(rng)) for i in range(500)]
    old = assign_splits(first, shares=SHARES, max_distance=2, seed="s")
    new = assign_splits(more, shares=SHARES, max_distance=2, seed="s")
    assert all(new.split_of[v] == s for v, s in old.split_of.items())


def test_split_for_skips_empty_shares() -> None:
    assert {split_for(f"g{i}", {"train": 1.0, "validation": 0.0, "test": 0.0}, "s") for i in range(200)} == {
        "train"
    }
