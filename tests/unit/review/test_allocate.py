"""The stratified sampler's allocation: proportional, at least one per stratum, capped, deterministic."""

from __future__ import annotations

from ophin.review.sample import allocate


def test_allocate_is_proportional_with_one_from_every_stratum() -> None:
    # 100 items, n=10: quotas 5, 3, 1.5, 0.5 -> floors lifted to one: 5, 3, 1, 1 (sums to 10)
    assert allocate({"a": 50, "b": 30, "c": 15, "d": 5}, 10) == {"a": 5, "b": 3, "c": 1, "d": 1}


def test_allocate_gives_the_remainder_to_the_largest_fraction_then_the_first_name() -> None:
    # 20 items, n=10: quotas 3.5, 3.5, 3.0 -> 3, 3, 3 and one more to a (tied with b, a sorts first)
    assert allocate({"b": 7, "a": 7, "c": 6}, 10) == {"a": 4, "b": 3, "c": 3}


def test_allocate_takes_back_what_the_floor_of_one_lent() -> None:
    # 100 items, n=4: quotas 3.6, 0.2, 0.2 -> 3, 1, 1 = 5, one too many; b and c keep their one, a gives
    # the extra back
    assert allocate({"a": 90, "b": 5, "c": 5}, 4) == {"a": 2, "b": 1, "c": 1}


def test_allocate_with_fewer_items_than_strata_takes_the_largest() -> None:
    assert allocate({"a": 5, "b": 50, "c": 20, "d": 20}, 2) == {"b": 1, "c": 1}


def test_allocate_never_asks_more_than_a_stratum_holds_or_than_exist() -> None:
    assert allocate({"a": 2, "b": 1, "empty": 0}, 50) == {"a": 2, "b": 1}
    # quotas 9 and 1 with n=10 of 11: the stratum holding one gives one, the rest come from a
    assert allocate({"a": 10, "b": 1}, 10) == {"a": 9, "b": 1}
    assert allocate({}, 5) == {} and allocate({"a": 3}, 0) == {}
