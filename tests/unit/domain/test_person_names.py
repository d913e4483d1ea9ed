"""Bare person names: rejected by verification, eponyms pass, and find_phi holds up on any text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ophin.domain.person_names import name_resource
from ophin.domain.phi import find_phi
from ophin.synthesis.base import Turn
from ophin.verification.checks import CheckParams, check_instruction


def _no_phi(answer: str):  # noqa: ANN202
    turns = [Turn("human", "What does the image show?"), Turn("gpt", answer)]
    return next(r for r in check_instruction(turns, [answer], CheckParams()) if r.check == "no_phi")


def test_check_instruction_rejects_a_bare_name_in_narration() -> None:
    result = _no_phi("Priya Patel came in with blurred vision and the fundus shows dot haemorrhages.")
    assert not result.passed and "person name" in result.detail
    assert "Patel" not in result.detail  # the stored reason names the kind, never the name


def test_check_instruction_passes_eponyms() -> None:
    for answer in (
        "Stargardt disease, Best disease and Coats disease are seen; a Marcus Gunn pupil is present.",
        "Vogt-Koyanagi-Harada disease with Dalen-Fuchs nodules and Kayser-Fleischer rings.",
        "Descemet membrane, Bowman layer, Schlemm canal and Bruch membrane on OCT.",
        "Elschnig spots, Roth spots, an Adie pupil and a Horner syndrome.",
        "Amsler grid, Snellen chart and Goldmann applanation in a Humphrey and Zeiss Cirrus workup.",
    ):
        assert _no_phi(answer).passed, answer


_WORDS = sorted(
    w for w in name_resource().first if w.isalpha() and len(w) > 2 and w not in name_resource().words
)
_SURNAMES = sorted(
    w for w in name_resource().last if w.isalpha() and len(w) > 2 and w not in name_resource().words
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_find_phi_never_crashes_on_random_text(text: str) -> None:
    for match in find_phi(text):
        assert text[match.start : match.end] == match.text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_WORDS), st.sampled_from(_SURNAMES), st.sampled_from(["", "Today ", "Then "]))
def test_find_phi_finds_a_planted_name_from_the_resource(first: str, last: str, lead: str) -> None:
    name = f"{first.title()} {last.title()}"
    text = f"{lead}{name} came in with blurred vision."
    start = len(lead)
    assert any(
        m.kind == "person name" and m.start < start + len(name) and start < m.end for m in find_phi(text)
    )
