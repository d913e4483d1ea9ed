"""Leak-free train / validation / test splits, assigned by group.

A group is a connected set of videos: a video joins every video that shows a near-duplicate of one of its
images (pHash within a distance), so the same figure reused in two lectures never sits in two splits, and
nothing from one video is ever split. Each group's split comes from a hash of (seed, group key) against the
cumulative shares: deterministic, and stable from one release to the next while a group's membership is (a
video in test stays in test when new videos arrive, unless a new video links it to a group keyed otherwise).
Shares hold over groups, so record counts per split vary around them when groups differ in size.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from ophin.imaging.phash_index import PhashIndex
from ophin.settings import SPLITS


@dataclass(frozen=True)
class SplitPlan:
    split_of: dict[Hashable, str]  # video -> split
    group_of: dict[Hashable, str]  # video -> group key (the smallest video id in the group, as text)

    def groups(self, split: str) -> int:
        return len({g for v, g in self.group_of.items() if self.split_of[v] == split})

    def largest_group_share(self) -> float:
        """Share of videos in the biggest group: near 1.0, a chain of look-alike images joined them all."""
        sizes = Counter(self.group_of.values())
        return max(sizes.values()) / len(self.group_of) if sizes else 0.0


def assign_splits(
    frames: Iterable[tuple[Hashable, str | None]],
    *,
    shares: Mapping[str, float],
    max_distance: int,
    seed: str,
    videos: Iterable[Hashable] = (),
) -> SplitPlan:
    """frames: (video, phash) of every image in the release; videos: any more that must get a split."""
    parent: dict[Hashable, Hashable] = {v: v for v in videos}

    def find(v: Hashable) -> Hashable:
        parent.setdefault(v, v)
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    index = PhashIndex(max_distance) if max_distance > 0 else None
    owner: list[Hashable] = []  # index key -> video
    for video, phash in frames:
        find(video)
        if index is None or not phash:
            continue
        for key, _ in index.query(phash):
            a, b = find(owner[key]), find(video)
            if a != b:
                parent[max(a, b, key=str)] = min(a, b, key=str)
        index.add(len(owner), phash)
        owner.append(video)
    # A merge keeps the smaller root, so every root is its group's smallest member: the group key.
    group_of = {v: str(find(v)) for v in list(parent)}
    split_of = {v: split_for(g, shares, seed) for v, g in group_of.items()}
    return SplitPlan(split_of, group_of)


def split_for(group: str, shares: Mapping[str, float], seed: str) -> str:
    """The split a group key falls in: a uniform point from sha256(seed, key) against cumulative shares."""
    point = int.from_bytes(hashlib.sha256(f"{seed}\x00{group}".encode()).digest()[:8], "big") / 2**64
    edge = 0.0
    named = [s for s in SPLITS if shares.get(s, 0) > 0]
    for split in named:
        edge += shares[split]
        if point < edge:
            return split
    return named[-1]
