"""The review statistics against values worked out by hand (the arithmetic is in each test's comment)."""

from __future__ import annotations

import pytest

from ophin.review.stats import (
    best_threshold,
    cohen_kappa,
    confusion,
    consensus,
    pairwise_kappa,
    pooled_kappa,
    rates_by,
    refusal_direction,
    verdict_rates,
    wilson,
)

Z2 = 1.959963984540054**2  # 3.841459


def test_wilson_half_is_symmetric_about_one_half() -> None:
    # 5/10: centre (0.5 + z²/20) / (1 + z²/10) = 0.5; half = z·sqrt(0.025 + z²/400) / (1 + z²/10)
    #     = 1.959964 · 0.186020 / 1.384146 = 0.263406
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.236594, abs=1e-6) and high == pytest.approx(0.763406, abs=1e-6)


def test_wilson_of_zero_successes_starts_at_zero() -> None:
    # 0/10: centre = half = (z²/20) / (1 + z²/10) = 0.192073 / 1.384146 = 0.138767 -> (0, 0.277533)
    low, high = wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(2 * (Z2 / 20) / (1 + Z2 / 10), abs=1e-12)
    assert high == pytest.approx(0.277533, abs=1e-6)


def test_wilson_without_observations_is_none_and_refuses_impossible_counts() -> None:
    assert wilson(0, 0) is None
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_verdict_rates_give_each_verdict_its_interval() -> None:
    # 1 bad of 4: centre (0.25 + z²/8) / (1 + z²/4) = 0.730182 / 1.960365 = 0.372473;
    # half = z·sqrt(0.1875/4 + z²/64) / 1.960365 = 1.959964 · 0.326950 / 1.960365 = 0.326883
    rates = verdict_rates(["good", "good", "bad", "usable"])
    assert rates["n"] == 4
    assert rates["good"]["count"] == 2 and rates["good"]["rate"] == 0.5
    assert rates["bad"]["rate"] == 0.25
    assert rates["bad"]["low"] == pytest.approx(0.045590, abs=1e-5)
    assert rates["bad"]["high"] == pytest.approx(0.699357, abs=1e-5)
    assert verdict_rates([])["bad"] == {"count": 0, "rate": None, "low": None, "high": None}


def test_rates_by_groups_on_a_key_and_names_missing_values_unknown() -> None:
    rows = [
        {"modality": "fundus", "verdict": "bad"},
        {"modality": "fundus", "verdict": "good"},
        {"modality": None, "verdict": "good"},
    ]
    groups = rates_by(rows, "modality")
    assert list(groups) == ["fundus", "unknown"]
    assert groups["fundus"]["bad"]["rate"] == 0.5 and groups["unknown"]["good"]["count"] == 1


def test_consensus_takes_the_majority_and_the_worse_verdict_on_a_tie() -> None:
    assert consensus(["good", "good", "bad"]) == "good"
    assert consensus(["good", "bad"]) == "bad"
    assert consensus(["usable", "good"]) == "usable"
    with pytest.raises(ValueError):
        consensus([])


def test_confusion_precision_recall_and_f1() -> None:
    # 3 refused-and-bad, 1 refused-but-fine, 2 missed bad, 4 passed fine:
    # precision 3/4, recall 3/5, F1 = 2·3 / (2·3 + 1 + 2) = 6/9
    c = confusion([(True, True)] * 3 + [(True, False)] + [(False, True)] * 2 + [(False, False)] * 4)
    assert (c.tp, c.fp, c.fn, c.tn, c.n) == (3, 1, 2, 4, 10)
    assert c.precision == 0.75 and c.recall == 0.6 and c.f1 == pytest.approx(2 / 3)
    silent = confusion([(False, False)] * 3)
    assert silent.precision is None and silent.recall is None and silent.f1 is None


def test_best_threshold_below_maximises_f1() -> None:
    # scores 0.1 bad, 0.3 bad, 0.5 good, 0.7 bad, 0.9 good; refuse when score < t:
    # t=0.2 F1 2/4 = .5; t=0.4 F1 4/5 = .8; t=0.6 F1 4/6; t=0.8 tp 3, fp 1 -> F1 6/7 (best)
    scored = [(0.1, True), (0.3, True), (0.5, False), (0.7, True), (0.9, False)]
    best = best_threshold(scored, "below")
    assert best is not None and best.threshold == pytest.approx(0.8) and best.direction == "below"
    assert (best.confusion.tp, best.confusion.fp, best.confusion.fn, best.confusion.tn) == (3, 1, 0, 1)
    assert best.confusion.f1 == pytest.approx(6 / 7)


def test_best_threshold_above_for_a_similarity_score() -> None:
    # refuse when score > t: t=0.55 refuses 0.6 and 0.95, both bad -> F1 1; t=0.45 also refuses 0.5 -> 4/5
    scored = [(0.2, False), (0.4, False), (0.5, False), (0.6, True), (0.95, True)]
    best = best_threshold(scored, "above")
    assert best is not None and best.threshold == pytest.approx(0.55) and best.confusion.f1 == 1.0


def test_best_threshold_on_a_tie_refuses_fewer_records() -> None:
    # 0.1 bad, 0.2 good, 0.3 good, 0.4 bad, 0.5 good; refuse below t:
    # t=0.15 tp1 fp0 fn1 -> 2/3; t=0.25 tp1 fp1 fn1 -> 1/2; t=0.35 tp1 fp2 fn1 -> 2/5;
    # t=0.45 tp2 fp2 fn0 -> 4/6 = 2/3: a tie with t=0.15, which refuses one record instead of four
    scored = [(0.1, True), (0.2, False), (0.3, False), (0.4, True), (0.5, False)]
    best = best_threshold(scored, "below")
    assert best is not None and best.threshold == pytest.approx(0.15)
    assert best.confusion.f1 == pytest.approx(2 / 3) and best.confusion.tp + best.confusion.fp == 1


def test_best_threshold_is_none_when_nothing_can_be_fitted() -> None:
    assert best_threshold([(0.5, True), (0.5, False)], "below") is None  # one distinct score
    assert best_threshold([(0.1, False), (0.9, False)], "below") is None  # nothing labelled bad
    with pytest.raises(ValueError):
        best_threshold([(0.1, True), (0.9, False)], "sideways")


def test_refusal_direction_reads_the_checks_own_decisions() -> None:
    assert refusal_direction([(0.2, False), (0.3, False), (0.9, True)]) == "below"  # grounding-like
    assert refusal_direction([(0.95, False), (0.1, True), (0.3, True)]) == "above"  # similarity-like
    assert refusal_direction([(0.4, True), (0.9, True)]) == "below"  # it never refused: no evidence


def test_cohen_kappa_on_a_worked_example() -> None:
    # A: g g g g g u u b b b; B: g g g g u u u b b g. Observed agreement 8/10.
    # Marginals A g5 u2 b3, B g5 u3 b2: chance (25 + 6 + 6) / 100 = 0.37; kappa (0.8 - 0.37) / 0.63
    a = ["good"] * 5 + ["usable"] * 2 + ["bad"] * 3
    b = ["good"] * 4 + ["usable"] * 3 + ["bad"] * 2 + ["good"]
    assert cohen_kappa(list(zip(a, b, strict=True))) == pytest.approx(0.43 / 0.63)
    assert cohen_kappa([("good", "good"), ("bad", "bad")]) == 1.0
    # Disagreeing on every item of a balanced set: observed 0, chance 0.5 -> kappa -1
    assert cohen_kappa([("good", "bad"), ("bad", "good")]) == -1.0


def test_cohen_kappa_is_undefined_without_variation_or_items() -> None:
    assert cohen_kappa([]) is None
    assert cohen_kappa([("good", "good")] * 3) is None


def test_pairwise_kappa_pairs_reviewers_on_their_shared_items_only() -> None:
    rows = [
        ("i1", "ann", "good"),
        ("i2", "ann", "bad"),
        ("i1", "bob", "good"),
        ("i2", "bob", "bad"),
        ("i3", "bob", "usable"),
        ("i9", "cy", "good"),
    ]
    result = pairwise_kappa(rows)
    assert result == [{"reviewers": ["ann", "bob"], "n": 2, "agreement": 1.0, "kappa": 1.0}]


def test_pooled_kappa_takes_every_twice_labelled_item_whoever_labelled_it() -> None:
    # Pairs of one item each (kappa undefined per pair), pooled: g/g, b/b, u/u, g/u -> observed 3/4;
    # first rater g g b u, second g u b u: expected (2*1 + 1*1 + 1*2) / 16 = 5/16.
    rows = [
        ("i1", "ann", "good"), ("i1", "bob", "good"),
        ("i2", "cy", "good"), ("i2", "dee", "usable"),
        ("i3", "ann", "bad"), ("i3", "eve", "bad"),
        ("i4", "bob", "usable"), ("i4", "cy", "usable"),
        ("i5", "ann", "bad"),  # once: no pair
    ]  # fmt: skip
    pooled = pooled_kappa(rows)
    assert pooled["n"] == 4 and pooled["agreement"] == 0.75
    assert pooled["kappa"] == pytest.approx((0.75 - 5 / 16) / (1 - 5 / 16))
    assert pooled_kappa(rows[-1:]) == {"n": 0, "agreement": None, "kappa": None}
