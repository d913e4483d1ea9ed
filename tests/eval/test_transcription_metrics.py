"""The segmentation, coverage, pairing, WER and real-time measures, each fed its bad case."""

from __future__ import annotations

import pytest

from eval.quality.transcription import (
    PairWindow,
    TimedSentence,
    WordErrors,
    frames_per_minute,
    long_slide_pairing,
    match_boundaries,
    pooled,
    real_time_factors,
    span_coverage,
    word_error_rate,
    words_of,
)
from eval.quality.transcription_report import footage_tolerance_s, spoken_sentences, true_boundaries

TRUE = [7.7, 16.8, 29.3]


def test_match_boundaries_all_found_within_tolerance() -> None:
    score = match_boundaries([7.8, 16.6, 29.3], TRUE, tolerance_s=0.5)
    assert (score.precision, score.recall, score.matched) == (1.0, 1.0, 3)


def test_match_boundaries_missed_boundary_lowers_recall() -> None:
    score = match_boundaries([7.8, 29.3], TRUE, tolerance_s=0.5)
    assert score.recall == pytest.approx(2 / 3, abs=1e-4)
    assert score.precision == 1.0


def test_match_boundaries_spurious_boundary_lowers_precision() -> None:
    score = match_boundaries([7.8, 12.0, 16.8, 29.3], TRUE, tolerance_s=0.5)
    assert score.precision == 0.75
    assert score.recall == 1.0


def test_match_boundaries_outside_tolerance_does_not_match() -> None:
    score = match_boundaries([8.5, 16.8, 29.3], TRUE, tolerance_s=0.5)
    assert score.matched == 2
    assert match_boundaries([8.5, 16.8, 29.3], TRUE, tolerance_s=1.0).matched == 3


def test_match_boundaries_one_prediction_matches_one_truth_only() -> None:
    score = match_boundaries([10.0], [9.8, 10.2], tolerance_s=0.5)
    assert (score.matched, score.recall, score.precision) == (1, 0.5, 1.0)


def test_match_boundaries_static_slide_counts_any_prediction_as_spurious() -> None:
    assert match_boundaries([], [], 0.5).precision == 1.0
    spurious = match_boundaries([30.0], [], 0.5)
    assert (spurious.precision, spurious.recall) == (0.0, 0.0)


def test_frames_per_minute() -> None:
    assert frames_per_minute(6, 90.0) == 4.0
    assert frames_per_minute(3, 0.0) == 0.0


def test_span_coverage_span_without_frame_lowers_coverage() -> None:
    spans = [(0.0, 10.0), (14.0, 25.0), (29.0, 40.0)]
    full = span_coverage([5.0, 20.0, 30.0], spans)
    assert (full.share, full.missed) == (1.0, ())
    gap = span_coverage([5.0, 12.0, 30.0], spans)  # 12 s falls in the pan between spans 0 and 1
    assert gap.covered == 2 and gap.missed == (1,)
    assert gap.share == pytest.approx(2 / 3, abs=1e-4)


def test_span_coverage_two_frames_in_one_span_cover_it_once() -> None:
    assert span_coverage([1.0, 2.0], [(0.0, 10.0), (12.0, 20.0)]).share == 0.5


SENTENCES = [
    TimedSentence(None, 0.3, 3.0),
    TimedSentence("cupping", 5.0, 8.0),
    TimedSentence("cupping", 8.4, 11.0),
    TimedSentence("drusen", 14.0, 17.0),
    TimedSentence("drusen", 17.4, 20.0),
]
WHOLE_SLIDE = {"cupping": (0.0, 60.0), "drusen": (0.0, 60.0)}


def test_long_slide_pairing_separate_pairs_per_finding() -> None:
    pairs = [PairWindow(0.0, 12.0, 1.0), PairWindow(13.0, 21.0, 1.0)]
    result = long_slide_pairing(pairs, SENTENCES, WHOLE_SLIDE)
    assert (result.paired, result.separate, result.merged, result.unpaired) == (1.0, 1.0, (), ())


def test_long_slide_pairing_one_pair_for_all_findings_is_not_separate() -> None:
    result = long_slide_pairing([PairWindow(0.0, 21.0, 1.0)], SENTENCES, WHOLE_SLIDE)
    assert result.paired == 1.0
    assert result.separate == 0.0
    assert set(result.merged) == {"cupping", "drusen"}


def test_long_slide_pairing_sentence_outside_any_pair_is_unpaired() -> None:
    pairs = [PairWindow(0.0, 12.0, 1.0), PairWindow(13.0, 17.5, 1.0)]  # the last drusen sentence is lost
    result = long_slide_pairing(pairs, SENTENCES, WHOLE_SLIDE)
    assert result.unpaired == ("drusen",)
    assert result.paired == 0.5 and result.separate == 0.5


def test_long_slide_pairing_frame_outside_the_findings_window_does_not_count() -> None:
    pairs = [PairWindow(0.0, 12.0, 6.0), PairWindow(13.0, 21.0, 6.0)]  # both frames from the cupping span
    strict = {"cupping": (4.0, 12.0), "drusen": (13.0, 21.0)}
    result = long_slide_pairing(pairs, SENTENCES, strict)
    assert result.unpaired == ("drusen",)


def test_words_of_folds_spelling_and_punctuation() -> None:
    assert words_of("Flame-shaped haemorrhages, near the disc!") == ["flame", "shaped", "hemorrhages", "near",
                                                                     "the", "disc"]  # fmt: skip


def test_word_error_rate_counts_substitutions_insertions_deletions() -> None:
    assert word_error_rate("the cup is large", "the cup is large").rate == 0.0
    sub = word_error_rate("the cup is large", "the cap is large")
    assert (sub.edits, sub.reference_words) == (1, 4)
    assert word_error_rate("the cup is large", "the cup large").edits == 1
    assert word_error_rate("the cup is large", "so the cup is very large").edits == 2
    assert word_error_rate("drusen", "").rate == 1.0


def test_word_error_rate_pools_over_videos() -> None:
    total = pooled([WordErrors(1, 4), WordErrors(0, 6)])
    assert total.rate == 0.1


def test_real_time_factors_per_stage() -> None:
    runs = [("transcribe", "a", 30.0), ("transcribe", "b", 10.0), ("keyframes", "a", 6.0), ("pair", "x", 9.0)]
    rtf = real_time_factors(runs, {"a": 60.0, "b": 40.0})
    assert rtf == {"keyframes": 0.1, "transcribe": 0.4}  # "x" has no known duration: left out


def test_real_time_factors_counts_a_stage_once_per_video() -> None:
    assert real_time_factors([("asr", "a", 30.0), ("asr", "a", 30.0)], {"a": 60.0}) == {"asr": 0.5}


def test_true_boundaries_of_lectures_and_footage() -> None:
    lecture = {"kind": "lecture", "scenes": [{"start_s": 0.0}, {"start_s": 7.7}, {"start_s": 16.8}]}
    assert true_boundaries(lecture) == [7.7, 16.8]
    assert true_boundaries({"kind": "continuous", "boundaries_s": [17.7, 37.4]}) == [17.7, 37.4]
    assert true_boundaries({"kind": "long_slide", "boundaries_s": []}) == []


def test_footage_tolerance_covers_the_pan() -> None:
    assert footage_tolerance_s({"pan_s": 4.0}) == 2.5
    assert footage_tolerance_s({"pan_s": 0.0}) == 0.5


def test_spoken_sentences_puts_the_intro_first() -> None:
    slide = {
        "kind": "long_slide",
        "intro": [{"text": "intro", "start_s": 0.3}],
        "spans": [
            {"sentences": [{"text": "b", "start_s": 9.0}]},
            {"sentences": [{"text": "a", "start_s": 4.0}]},
        ],
    }
    assert [s["text"] for s in spoken_sentences(slide)] == ["intro", "a", "b"]
