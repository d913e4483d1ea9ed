"""A DAG run's fan-out stays inside its limit however big the batch, and loses or repeats no key."""

from __future__ import annotations

import pytest

from ophin.orchestration.batches import keys_of, units


@pytest.mark.parametrize(("n", "limit"), [(0, 256), (3, 256), (256, 256), (257, 256), (10_000, 256), (5, 1)])
def test_units_stay_within_the_limit_and_cover_every_key_once(n: int, limit: int) -> None:
    keys = [f"k{i}" for i in range(n)]
    made = units(keys, {}, limit)
    assert len(made) <= limit
    assert keys_of(made) == keys
    assert all(len(u["keys"]) == 1 for u in made) == (n <= limit)


def test_units_are_labelled_by_their_first_key_and_how_many_more() -> None:
    made = units(["a", "b", "c", "d"], {"a": "Fundus <b>lecture</b>", "c": "x" * 200}, 2)
    assert [u["label"] for u in made] == ["Fundus <b>lecture</b> (+1)", "x" * 80 + " (+1)"]
    assert units(["a"], {}, 2) == [{"keys": ["a"], "label": "a"}]
