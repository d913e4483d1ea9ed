"""One fuzzy matcher for the engine: every edit distance and sequence similarity is rapidfuzz's.

Each works on strings (letters) or on sequences of tokens (words), as the caller needs."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from rapidfuzz.distance import OSA, Indel


def osa_distance(a: str | Sequence[Hashable], b: str | Sequence[Hashable]) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent transpositions."""
    return OSA.distance(a, b)


def similarity(a: str | Sequence[Hashable], b: str | Sequence[Hashable]) -> float:
    """2 x (longest common subsequence) / (len a + len b): 1.0 for equal, 0.0 when nothing is shared."""
    if not a and not b:
        return 1.0
    return Indel.normalized_similarity(a, b)


def matching_blocks(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int, int]]:
    """(i, j, n): a[i:i+n] == b[j:j+n], in order, along a longest common subsequence (no empty end block)."""
    return [(m.a, m.b, m.size) for m in Indel.opcodes(a, b).as_matching_blocks() if m.size]
