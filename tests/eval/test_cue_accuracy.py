"""cue_accuracy on hand-made truth, with a scorer whose answers are known."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from eval.quality.cue_accuracy import TruthSentence, confusion, corpus_truth, cue_accuracy
from ophin.cues.base import CueContext, CueVerdict
from ophin.cues.rules import RuleCueScorer


class KeywordScorer:
    """Visual when the sentence says "see"; records the calls it got."""

    name = "keyword"
    version = "1"

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str]] = []

    def score(self, sentences: Sequence[str], context: CueContext | None = None) -> list[CueVerdict]:
        self.calls.append((list(sentences), context.transcript if context else ""))
        return [CueVerdict(s, "see" in s, 1.0 if "see" in s else 0.0, "keyword") for s in sentences]


TRUTH = [
    TruthSentence("We see the disc.", True, "a", "A"),  # tp
    TruthSentence("Welcome.", False, "a", "A"),  # tn
    TruthSentence("Drusen are visible.", True, "b", "B"),  # fn
    TruthSentence("As you will see next week.", False, "b", "B"),  # fp
    TruthSentence("You see cysts.", True, "b", "B"),  # tp
]


def test_cue_accuracy_counts_each_outcome() -> None:
    result = cue_accuracy(KeywordScorer(), TRUTH)
    assert {k: result[k] for k in ("n", "tp", "fp", "fn", "tn")} == {
        "n": 5,
        "tp": 2,
        "fp": 1,
        "fn": 1,
        "tn": 1,
    }
    assert result["accuracy"] == pytest.approx(3 / 5)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(2 / 3)
    assert [m["sentence"] for m in result["mistakes"]] == [
        "Drusen are visible.",
        "As you will see next week.",
    ]


def test_cue_accuracy_scores_one_window_per_call_with_its_transcript() -> None:
    scorer = KeywordScorer()
    cue_accuracy(scorer, TRUTH)
    assert scorer.calls == [
        (["We see the disc.", "Welcome."], "A"),
        (["Drusen are visible.", "As you will see next week.", "You see cysts."], "B"),
    ]


def test_cue_accuracy_refuses_a_scorer_that_drops_verdicts() -> None:
    class Short(KeywordScorer):
        def score(self, sentences: Sequence[str], context: CueContext | None = None) -> list[CueVerdict]:
            return super().score(sentences, context)[:-1]

    with pytest.raises(ValueError, match="1 verdicts for 2 sentences"):
        cue_accuracy(Short(), TRUTH[:2])


def test_confusion_leaves_undefined_ratios_none() -> None:
    nothing_predicted = confusion([True, False], [False, False])
    assert (nothing_predicted["precision"], nothing_predicted["recall"], nothing_predicted["f1"]) == (
        None,
        0.0,
        None,
    )
    all_wrong = confusion([True, False], [False, True])
    assert (all_wrong["precision"], all_wrong["recall"], all_wrong["f1"]) == (0.0, 0.0, 0.0)
    assert confusion([], [])["accuracy"] is None
    with pytest.raises(ValueError, match="2 labels but 1 predictions"):
        confusion([True, False], [True])


def test_corpus_truth_reads_lectures_and_footage() -> None:
    lectures = corpus_truth("demo", footage=False)
    everything = corpus_truth("demo")
    assert len(lectures) == 51 and sum(t.describes_image for t in lectures) == 20
    assert len(everything) > len(lectures)
    first = lectures[0]
    assert first.text in first.transcript and first.window.startswith("lecture_")


def test_rule_scorer_on_demo_lectures_is_measured() -> None:
    # A floor, not the figure (bench/cues.py prints that): a lexicon edit that breaks the scorer shows here.
    result = cue_accuracy(RuleCueScorer(0.5), corpus_truth("demo", footage=False))
    assert result["f1"] is not None and result["f1"] >= 0.85


class Failing(KeywordScorer):
    """Fails on any window holding "Drusen", like a model whose reply never validated."""

    def score(self, sentences: Sequence[str], context: CueContext | None = None) -> list[CueVerdict]:
        if any("Drusen" in s for s in sentences):
            raise ValueError("no valid reply")
        return super().score(sentences, context)


def test_cue_accuracy_counts_a_failed_window_as_keeping_nothing() -> None:
    result = cue_accuracy(Failing(), TRUTH, errors=(ValueError,))
    assert result["failed"] == [{"window": "b", "sentences": 3, "error": "ValueError: no valid reply"}]
    assert {k: result[k] for k in ("tp", "fp", "fn", "tn")} == {"tp": 1, "fp": 0, "fn": 2, "tn": 2}


def test_cue_accuracy_propagates_errors_it_was_not_told_to_count() -> None:
    with pytest.raises(ValueError, match="no valid reply"):
        cue_accuracy(Failing(), TRUTH)
