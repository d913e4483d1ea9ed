"""A stage's params are its settings section's fields, taken by name: nothing copied by hand."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from ophin.settings import Settings
from ophin.stages.base import from_sections
from ophin.stages.pair import PairParams


class First(BaseModel):
    a: int = 1
    shared: str = "first"
    names: list[str] = ["x", "y"]


class Second(BaseModel):
    shared: str = "second"
    b: float = 2.5


@dataclass(frozen=True)
class Params:
    a: int
    shared: str
    names: tuple[str, ...]
    b: float
    extra: str = "default"


def test_fields_come_by_name_first_section_first_lists_as_tuples() -> None:
    p = from_sections(Params, First(), Second())
    assert p == Params(1, "first", ("x", "y"), 2.5)
    hash(p)  # frozen and hashable: lists became tuples


def test_extra_fills_what_no_section_holds_and_overrides() -> None:
    assert from_sections(Params, First(), Second(), extra="v", a=9).extra == "v"
    assert from_sections(Params, First(), Second(), a=9).a == 9


def test_a_field_no_section_holds_and_no_default_is_refused() -> None:
    with pytest.raises(TypeError, match="b"):
        from_sections(Params, First())


def test_a_changed_setting_reaches_the_stage_params() -> None:
    s = Settings(pair={"lag_s": 1.25, "min_words": 5})
    p = from_sections(PairParams, s.pair, languages=("en",))
    assert (p.lag_s, p.min_words, p.languages) == (1.25, 5, ("en",))
