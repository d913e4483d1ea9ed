"""Near-duplicate search over 64-bit perceptual hashes (frame.phash hex strings) across videos.

Multi-index hashing (Norouzi et al. 2012): split each hash into m disjoint chunks. By the pigeonhole
principle, two hashes within Hamming distance d differ by at most r = d // m bits in at least one chunk,
so a query looks up, in each chunk's table, its own chunk and every variant of it r bits away, then checks
only those candidates with a popcount. m = d + 1 (r = 0, exact chunk match) up to d = 3; beyond that four
16-bit chunks with r = d // 4, so buckets stay small (100k hashes: ~1.5 per 16-bit key). From d = 8
(r = 2: 137 probes per chunk) numpy's vectorised popcount over all hashes is faster (bench/phash_index.py),
so the index scans instead.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable
from itertools import combinations

import numpy as np

BITS = 64


class PhashIndex:
    """Hashes with keys; query(h) -> keys within max_distance of h. Built for one max_distance."""

    def __init__(self, max_distance: int) -> None:
        if not 0 <= max_distance < BITS:
            raise ValueError(f"max_distance must be 0..{BITS - 1}, got {max_distance}")
        self.max_distance = max_distance
        m = max_distance + 1 if max_distance < 4 else 4
        self._radius = max_distance // m
        self._spans = [(BITS * i // m, BITS * (i + 1) // m) for i in range(m)]  # [lo, hi) bit ranges
        self._flips = [_flip_masks(hi - lo, self._radius) for lo, hi in self._spans]
        self._tables: list[dict[int, list[int]]] = [defaultdict(list) for _ in self._spans]
        self._hashes: list[int] = []
        self._keys: list[Hashable] = []
        self._scan = self._radius >= 2
        self._array = np.zeros(1024, np.uint64)  # the hashes again, for the scan; grown by doubling

    def __len__(self) -> int:
        return len(self._hashes)

    def add(self, key: Hashable, phash: str | int) -> None:
        value = _as_int(phash)
        slot = len(self._hashes)
        self._hashes.append(value)
        self._keys.append(key)
        if self._scan:
            if slot == len(self._array):
                self._array = np.concatenate([self._array, np.zeros_like(self._array)])
            self._array[slot] = value
            return
        for table, chunk in zip(self._tables, self._chunks(value), strict=True):
            table[chunk].append(slot)

    def query(self, phash: str | int, max_distance: int | None = None) -> list[tuple[Hashable, int]]:
        """(key, distance) of every hash within max_distance (default: the index's), nearest first."""
        d = self.max_distance if max_distance is None else max_distance
        if d > self.max_distance:
            raise ValueError(f"index built for distance <= {self.max_distance}, asked {d}")
        value = _as_int(phash)
        if self._scan:
            near = np.bitwise_count(self._array[: len(self._hashes)] ^ np.uint64(value)) <= d
            found_at = np.nonzero(near)[0].tolist()
            hits = [(self._keys[i], (self._hashes[i] ^ value).bit_count()) for i in found_at]
            return sorted(hits, key=lambda kd: kd[1])
        slots: set[int] = set()
        for table, chunk, flips in zip(self._tables, self._chunks(value), self._flips, strict=True):
            get = table.get
            for flip in flips:
                found = get(chunk ^ flip)
                if found:
                    slots.update(found)
        hashes, keys = self._hashes, self._keys
        hits = [(keys[i], dist) for i in slots if (dist := (hashes[i] ^ value).bit_count()) <= d]
        return sorted(hits, key=lambda kd: kd[1])

    def _chunks(self, value: int) -> list[int]:
        return [(value >> lo) & ((1 << (hi - lo)) - 1) for lo, hi in self._spans]


def _flip_masks(width: int, radius: int) -> list[int]:
    """Every mask of width bits with at most radius bits set (0 first)."""
    return [sum(1 << b for b in bits) for r in range(radius + 1) for bits in combinations(range(width), r)]


def brute_force(hashes: Iterable[tuple[Hashable, str | int]], phash: str | int, d: int) -> list[Hashable]:
    """The reference the index must agree with: every key within d, by a full scan."""
    value = _as_int(phash)
    return [k for k, h in hashes if (_as_int(h) ^ value).bit_count() <= d]


def cross_video_duplicates(session, max_distance: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(frame_id, duplicate_of_frame_id) for kept frames that near-duplicate a kept frame of another,
    earlier video (ordered by video url, then frame time): the first showing of a figure stays."""
    from sqlalchemy import select

    from ophin.db.models import Frame, Video

    rows = session.execute(
        select(Frame.id, Frame.video_id, Frame.phash)
        .join(Video, Video.id == Frame.video_id)
        .where(Frame.kept.is_(True), Frame.phash.is_not(None))
        .order_by(Video.url, Frame.t_s, Frame.id)
    ).all()
    return duplicates_across_groups([(r.id, r.video_id, r.phash) for r in rows], max_distance)


def duplicates_across_groups(
    items: Iterable[tuple[Hashable, Hashable, str | int]], max_distance: int
) -> list[tuple[Hashable, Hashable]]:
    """(key, duplicate_of) for each (key, group, phash), in order, within max_distance of an earlier
    item of another group that is itself not a duplicate. Same-group repeats are the stage's business."""
    if max_distance <= 0:
        return []
    index = PhashIndex(max_distance)
    group_of: dict[Hashable, Hashable] = {}
    out = []
    for key, group, phash in items:
        match = next((k for k, _ in index.query(phash) if group_of[k] != group), None)
        if match is not None:
            out.append((key, match))
            continue
        index.add(key, phash)
        group_of[key] = group
    return out


def _as_int(phash: str | int) -> int:
    return phash if isinstance(phash, int) else int(phash, 16)
