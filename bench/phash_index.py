"""Cross-video near-duplicate search: what one query costs in a PhashIndex (multi-index hashing) against
brute-force scans (Python ints; numpy's vectorised popcount) at 10k and 100k stored hashes, and what
building the index and a whole release's duplicate pass cost. Hashes are random 64-bit values with a
fifth near copies (1-d flipped bits), the shape frame.phash takes when lectures reuse figures.

    python -m bench.phash_index [--sizes 10000,100000] [--distances 4,6,10] [--queries 500] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from typing import Any

import numpy as np

from ophin.imaging.phash_index import PhashIndex, brute_force, duplicates_across_groups


def make_hashes(n: int, d: int, rng: random.Random) -> list[str]:
    base = [rng.getrandbits(64) for _ in range(n - n // 5)]
    near = []
    for h in rng.sample(base, n // 5):  # a fifth are near copies of another hash
        for b in rng.sample(range(64), rng.randint(1, max(1, d))):
            h ^= 1 << b
        near.append(h)
    return [f"{h:016x}" for h in base + near]


def measure(n: int, d: int, queries: int, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(seed)
    hashes = make_hashes(n, d, rng)
    items = list(enumerate(hashes))
    t0 = time.perf_counter()
    index = PhashIndex(d)
    for key, h in items:
        index.add(key, h)
    build_s = time.perf_counter() - t0
    probe = rng.sample(hashes, queries)
    t0 = time.perf_counter()
    found = [index.query(h) for h in probe]
    index_us = (time.perf_counter() - t0) / queries * 1e6
    brute_n = min(queries, 50)  # the scans are slow: time fewer of them
    ints = [(k, int(h, 16)) for k, h in items]  # parsed once, as a fair baseline would
    t0 = time.perf_counter()
    truth = [brute_force(ints, int(h, 16), d) for h in probe[:brute_n]]
    brute_us = (time.perf_counter() - t0) / brute_n * 1e6
    array = np.array([v for _, v in ints], dtype=np.uint64)
    t0 = time.perf_counter()
    for h in probe[:brute_n]:
        np.nonzero(np.bitwise_count(array ^ np.uint64(int(h, 16))) <= d)
    numpy_us = (time.perf_counter() - t0) / brute_n * 1e6
    agree = all(sorted(k for k, _ in f) == sorted(t) for f, t in zip(found, truth, strict=False))
    groups = [(i, i % 50, h) for i, h in items]  # 50 "videos"
    t0 = time.perf_counter()
    dups = duplicates_across_groups(groups, d)
    release_s = time.perf_counter() - t0
    return {
        "hashes": n,
        "max_distance": d,
        "build_s": round(build_s, 3),
        "query_us_index": round(index_us, 1),
        "query_us_brute": round(brute_us, 1),
        "query_us_numpy": round(numpy_us, 1),
        "speedup": round(brute_us / index_us, 1),
        "agrees_with_brute_force": agree,
        "release_pass_s": round(release_s, 3),
        "cross_video_duplicates": len(dups),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--distances", default="4,6,10")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = [
        measure(int(n), int(d), args.queries)
        for n in args.sizes.split(",")
        for d in args.distances.split(",")
    ]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    head = ("hashes", "d", "build s", "index us", "brute us", "numpy us", "x", "ok", "pass s")
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, (8, 3, 8, 9, 9, 9, 6, 3, 7), strict=True)))
    for r in rows:
        print(
            f"{r['hashes']:>8} {r['max_distance']:>3} {r['build_s']:>8} {r['query_us_index']:>9} "
            f"{r['query_us_brute']:>9} {r['query_us_numpy']:>9} {r['speedup']:>6} "
            f"{'y' if r['agrees_with_brute_force'] else 'N':>3} "
            f"{r['release_pass_s']:>7}"
        )


if __name__ == "__main__":
    main()
