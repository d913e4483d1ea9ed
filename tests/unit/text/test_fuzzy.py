"""The one fuzzy matcher: rapidfuzz's distances, checked against the textbook definitions they replace."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ophin.text.fuzzy import matching_blocks, osa_distance, similarity


def textbook_osa(a: str, b: str) -> int:
    """Optimal string alignment by its recurrence (the engine's own routine before rapidfuzz)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(st.text("abcde", max_size=9), st.text("abcde", max_size=9))
def test_osa_distance_is_the_textbook_one(a: str, b: str) -> None:
    assert osa_distance(a, b) == textbook_osa(a, b)


def test_osa_counts_a_transposition_once() -> None:
    assert osa_distance("drusen", "durusen") == 1
    assert osa_distance("macula", "mcaula") == 1
    assert osa_distance("fovea", "fovea") == 0


def test_similarity_over_words() -> None:
    assert similarity(["the", "cup", "is", "pale"], ["the", "cup", "is", "pale"]) == 1.0
    assert similarity(["the", "cup"], ["a", "disc"]) == 0.0
    assert similarity(["a", "b", "c", "d"], ["a", "b", "x", "d"]) == 0.75


def test_matching_blocks_align_words_in_order() -> None:
    said = ["the", "optic", "disc", "is", "swollen"]
    heard = ["the", "optic", "this", "is", "swollen"]
    assert matching_blocks(said, heard) == [(0, 0, 2), (3, 3, 2)]
    assert matching_blocks([], heard) == []
