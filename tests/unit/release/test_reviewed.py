"""Reviewed releases, the pure parts: consensus and correction choice per instruction, the replaced answer,
the policy file, the card's section."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ophin.release.card_sections import review_section
from ophin.release.record import Turn
from ophin.release.reviewed import (
    REVIEW_FILE,
    REVIEWED_BAD,
    Applied,
    LabelRow,
    corrected_turns,
    decide,
    manifest_block,
    write_review_file,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)
A, B, C, D = (uuid.UUID(int=n) for n in range(1, 5))


def _label(instruction: uuid.UUID, reviewer: str, verdict: str, correction: str | None = None, at: int = 0):  # noqa: ANN202
    return LabelRow(instruction, reviewer, verdict, correction, T0 + timedelta(minutes=at))


LABELS = [
    _label(A, "ann", "good", "older wording", at=1),
    _label(A, "bob", "good", "newer wording", at=2),
    _label(A, "cyd", "bad", "outvoted", at=3),  # newest, but not the consensus verdict
    _label(B, "ann", "usable"),
    _label(B, "bob", "bad", "bad ones are left out, never corrected"),  # a tie: the worse verdict
    _label(C, "ann", "usable", "  a usable record's fix  "),
    _label(D, "ann", "good", "   "),  # blank: no correction
]


def test_decide_takes_the_consensus_and_the_newest_agreeing_correction() -> None:
    review = decide("corrected", candidates=10, labels=LABELS)
    assert review.verdicts == {A: "good", B: "bad", C: "usable", D: "good"}
    assert review.corrections == {A: "newer wording", C: "a usable record's fix"}
    assert review.excluded == frozenset({B})
    assert review.counts() == {"reviewed": 4, "good": 2, "usable": 1, "bad": 1}
    assert review.left_out() == {REVIEWED_BAD: 1}


def test_decide_off_and_exclude_bad_change_nothing_they_should_not() -> None:
    off = decide("off", candidates=10, labels=LABELS)
    assert off.excluded == frozenset() and off.corrections == {} and off.left_out() == {}
    assert off.counts()["bad"] == 1  # what reviewers said is still told
    excluded = decide("exclude-bad", candidates=10, labels=LABELS)
    assert excluded.excluded == frozenset({B}) and excluded.corrections == {}
    with pytest.raises(ValueError, match="unknown --reviewed 'drop'"):
        decide("drop", candidates=10, labels=LABELS)


def test_corrected_turns_replace_the_last_answer_only() -> None:
    turns = (Turn("human", "q1"), Turn("gpt", "a1"), Turn("human", "q2"), Turn("gpt", "a2"))
    assert corrected_turns(turns, "fixed") == (*turns[:3], Turn("gpt", "fixed"))
    assert corrected_turns((Turn("human", "q"),), "fixed") == (Turn("human", "q"),)  # no answer: as it was


def test_review_file_only_when_a_mode_is_on(tmp_path: Path) -> None:
    write_review_file(tmp_path, decide("off", 1, []))
    assert not (tmp_path / REVIEW_FILE).exists()
    write_review_file(tmp_path, decide("corrected", 1, []))
    text = (tmp_path / REVIEW_FILE).read_text()
    assert '"reviewed": "corrected"' in text and "consensus" in text


def test_review_section_says_counts_and_what_was_done() -> None:
    block = manifest_block(decide("corrected", 10, LABELS), Applied(corrected=2))
    assert block | {"consensus": ""} == {
        "mode": "corrected",
        "candidates": 10,
        "reviewed": 4,
        "good": 2,
        "usable": 1,
        "bad": 1,
        "left_out": 1,
        "corrected": 2,
        "consensus": "",
    }
    text = review_section(block)
    assert "4 of the 10 candidate records" in text and "**2 good, 1 usable, 1 bad**" in text
    assert "1 record reviewed bad was left out (`--reviewed corrected`)" in text
    assert "2 answers were replaced" in text
    off = review_section(manifest_block(decide("off", 10, LABELS), Applied()))
    assert "the records reviewed bad are in it" in off
    none = review_section(manifest_block(decide("exclude-bad", 7, []), Applied()))
    assert "None of the 7 candidate records" in none
