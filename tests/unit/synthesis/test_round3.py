"""Issue 23 round 3: a cue saying what the picture shows yields a VQA; a derived diagnosis is used only where
the narration names it (settings.synthesis.derived_diagnoses="narrated")."""

from __future__ import annotations

import pytest

from ophin.knowledge.relations import RELATIONS, condition_narrated, is_diagnostic
from ophin.synthesis.base import PairContext
from ophin.synthesis.offline import OfflineCueGenerator, applicable_kinds

SHOWS = "This OCT B-scan shows the retinal layers in cross section."
CUPPING = ("The optic disc shows marked cupping.",)


def _answers(ctx: PairContext, kind: str, derived: str = "narrated") -> str:
    turns = OfflineCueGenerator(derived).generate(ctx, kind).turns  # type: ignore[arg-type]
    return " ".join(t.text for t in turns if t.role == "gpt")


def test_applicable_kinds_asks_what_the_picture_shows() -> None:
    ctx = PairContext("p-show", (SHOWS,), "", modality="oct")
    assert applicable_kinds(ctx) == ("vqa",)
    assert _answers(ctx, "vqa") == "The retinal layers in cross section."


@pytest.mark.parametrize(
    "cue",
    [
        "This photograph shows the macula.",  # names only
        "This photograph shows the optic disc on the left of the image.",  # names and locates
        "The macula sits in the middle of the image.",  # locates
        "This scan does not show the retinal layers in detail.",  # denied
    ],
)
def test_applicable_kinds_has_nothing_for_a_cue_that_only_names_or_locates(cue: str) -> None:
    assert applicable_kinds(PairContext("p-name", (cue,), "", modality="oct")) == ()


def test_generate_cot_uses_no_diagnosis_the_narration_does_not_name() -> None:
    ctx = PairContext("p-cup", CUPPING, "", modality="colour_fundus")
    assert "cot" not in applicable_kinds(ctx)  # cupping -> glaucoma, never said: nothing real to reason
    assert "glaucom" not in _answers(ctx, "vqa").lower()
    hedged = _answers(ctx, "cot", "hedged")  # the old behaviour, kept behind the setting
    assert "consistent with glaucomatous optic neuropathy" in hedged


def test_generate_cot_uses_a_relation_whose_diagnosis_is_narrated() -> None:
    window = "This patient has glaucomatous optic neuropathy in both eyes."
    ctx = PairContext("p-cup2", CUPPING, window, modality="colour_fundus")
    assert "cot" in applicable_kinds(ctx)
    assert "consistent with glaucomatous optic neuropathy" in _answers(ctx, "cot")


def test_generate_cot_keeps_a_meaning_that_is_no_diagnosis() -> None:
    cues = ("There are cotton wool spots around the disc.",)
    ctx = PairContext("p-cws", cues, "", modality="colour_fundus")
    cot = _answers(ctx, "cot")
    assert "retinal ischaemia" in cot and "retinopathy" not in cot


def test_condition_narrated_needs_the_condition_said_and_not_denied() -> None:
    cupping = next(r for r in RELATIONS if r.finding == "optic disc cupping")
    assert not condition_narrated(cupping, ["The cup is large."])
    assert not condition_narrated(cupping, ["There is no glaucomatous optic neuropathy."])
    assert not condition_narrated(cupping, ["This is glaucoma."])  # optic neuropathy not said
    assert condition_narrated(cupping, ["Glaucomatous optic neuropathy, as you see."])
    ischaemia = next(r for r in RELATIONS if r.indicates == "retinal ischaemia")
    assert not is_diagnostic(ischaemia) and condition_narrated(ischaemia, [])


def test_generator_refuses_an_unknown_setting() -> None:
    with pytest.raises(ValueError, match="derived_diagnoses"):
        OfflineCueGenerator("sometimes")
