"""Sentence splitting of Whisper-style transcripts."""

from __future__ import annotations

import dataclasses

import pytest

from ophin.cues.base import CueVerdict, split_sentences


def test_split_sentences_splits_on_terminal_punctuation() -> None:
    text = "Here you can see the disc. Is the cup enlarged? Yes! It is."
    assert split_sentences(text) == ["Here you can see the disc.", "Is the cup enlarged?", "Yes!", "It is."]


def test_split_sentences_keeps_abbreviations_intact() -> None:
    text = "Dr. Patel showed drusen, e.g. soft drusen vs. hard drusen. Next slide i.e. the OCT."
    assert split_sentences(text) == [
        "Dr. Patel showed drusen, e.g. soft drusen vs. hard drusen.",
        "Next slide i.e. the OCT.",
    ]


def test_split_sentences_keeps_decimals_and_numbered_references() -> None:
    text = "The ratio is 0.7 in fig. 3 and No. 5 shows more. The end."
    assert split_sentences(text) == ["The ratio is 0.7 in fig. 3 and No. 5 shows more.", "The end."]


def test_split_sentences_treats_etc_as_boundary_only_before_a_capital() -> None:
    text = "Exudates, haemorrhages etc. are common. We see them here etc. Then the OCT."
    assert split_sentences(text) == [
        "Exudates, haemorrhages etc. are common.",
        "We see them here etc.",
        "Then the OCT.",
    ]


def test_split_sentences_collapses_whitespace_and_segment_newlines() -> None:
    text = "  here you can see\n the optic disc.\n\n   The cup is deep.  "
    assert split_sentences(text) == ["here you can see the optic disc.", "The cup is deep."]


def test_split_sentences_drops_empty_and_punctuation_only_pieces() -> None:
    assert split_sentences("") == []
    assert split_sentences("   \n ") == []
    assert split_sentences("... ! The disc is pale. ?") == ["The disc is pale."]


def test_split_sentences_returns_unpunctuated_text_as_one_sentence() -> None:
    text = "so here you can see the optic disc and the cup is quite large"
    assert split_sentences(text) == [text]


def test_split_sentences_handles_ellipses_and_closing_quotes() -> None:
    text = 'He called it "a cherry red spot." The rest is normal... Right?'
    assert split_sentences(text) == ['He called it "a cherry red spot."', "The rest is normal...", "Right?"]


def test_cue_verdict_is_frozen() -> None:
    verdict = CueVerdict("The disc is pale.", True, 0.8, "finding")
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.score = 0.1  # type: ignore[misc]
