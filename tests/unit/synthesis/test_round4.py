"""Issue 23 round 4: two CoT failure kinds the labelled dev records showed (eval/review): a CoT of a normal
picture that names no structure ("examined feature by feature", nothing observed), and "on its own it does not
point to one cause" followed by a conclusion stating the narration's diagnosis."""

from __future__ import annotations

from ophin.synthesis.base import PairContext
from ophin.synthesis.offline import OfflineCueGenerator, applicable_kinds


def _cot(ctx: PairContext) -> str:
    return OfflineCueGenerator().generate(ctx, "cot").turns[1].text


def test_no_cot_for_a_normal_picture_that_names_no_structure() -> None:
    bare = PairContext("p-bare", ("Everything here looks perfectly normal.",), "", modality="colour_fundus")
    assert "cot" not in applicable_kinds(bare)
    named = PairContext("p-named", ("The optic disc looks perfectly normal.",), "", modality="colour_fundus")
    assert "cot" in applicable_kinds(named)
    assert "feature by feature" not in _cot(named)


def test_a_narrated_diagnosis_is_not_preceded_by_an_open_interpretation() -> None:
    cues = ("Its cup is large and pale.", "This is glaucoma.")  # cupping's relation names another diagnosis
    cot = _cot(PairContext("p-cup", cues, "", modality="colour_fundus"))
    assert cot.split("Conclusion:")[1].startswith(" the diagnosis is glaucoma")
    assert "does not point to one cause" not in cot
    assert "Observation: this fundus photograph shows the pale cup." in cot


def test_a_finding_that_is_the_relations_meaning_is_no_premise_for_it() -> None:
    """Labelled bad: "so the macular edema is consistent with macular oedema" (a circle, either spelling)."""
    for edema in ("edema", "oedema"):
        cues = ("A few dark cysts around the fovea.", f"So there is some macular {edema} as well.")
        cot = _cot(PairContext("p-circle", cues, "", modality="oct"))
        steps = [line for line in cot.splitlines() if "Interpretation:" in line]
        assert steps, cot  # the cysts still lead to macular oedema
        assert "the some" not in cot and "the few" not in cot, cot
        assert not any(
            "macular edema is consistent" in s or "macular oedema is consistent" in s for s in steps
        ), cot


def test_a_question_names_the_finding_whole() -> None:
    """Labelled bad: 'Describe the blot.' (the lexicon finds 'blot' and 'hemorrhages' apart)."""
    ctx = PairContext(
        "p-blot", ("There are blot hemorrhages above the macula.",), "", modality="colour_fundus"
    )
    question = OfflineCueGenerator().generate(ctx, "vqa").turns[0].text
    assert "blot hemorrhages" in question, question


def test_the_wording_follows_the_narration_not_the_pair_id() -> None:
    """A labelled record is found again by what it says: a new keyframes version renews every pair id, and
    the same narration must still read the same (eval/review's labels would otherwise all be lost)."""
    cues = ("There are blot hemorrhages above the macula.", "Cotton wool spots lie along the arcade.")
    a = PairContext("pair-before", cues, "", modality="colour_fundus")
    b = PairContext("pair-after-new-ids", cues, "", modality="colour_fundus")
    for kind in ("vqa", "cot"):
        assert OfflineCueGenerator().generate(a, kind).turns == OfflineCueGenerator().generate(b, kind).turns


def test_a_yes_no_question_about_a_narrated_finding_is_answered_yes() -> None:
    """Labelled usable at best: 'Does this photograph show any cupping?' answered without a yes."""
    asked = 0
    for i in range(12):  # the wording follows the narration as given: trailing spaces vary it
        cues = ("There are blot hemorrhages above the macula." + " " * i,)
        question, answer = (
            OfflineCueGenerator().generate(PairContext("p", cues, "", modality="colour_fundus"), "vqa").turns
        )
        if question.text.startswith(("Are there", "Is there", "Does")):
            asked += 1
            assert answer.text.startswith("Yes: there are blot hemorrhages"), answer.text
    assert asked


def test_the_lectures_order_is_no_part_of_a_cue() -> None:
    """Labelled leftovers: 'Finally', 'For comparison', '... as well'."""
    from ophin.synthesis.normalize import normalize_cue

    assert (
        normalize_cue("Finally, cotton wool spots lie along the arcade.")
        == "Cotton wool spots lie along the arcade."
    )
    assert normalize_cue("For comparison, this is a healthy disc.") == "This is a healthy disc."
    assert normalize_cue("So there is some macular edema as well.") == "There is some macular edema."
    # what only looks like them stays
    assert (
        normalize_cue("Next to the disc there is a haemorrhage.")
        == "Next to the disc there is a haemorrhage."
    )
    assert (
        normalize_cue("Drusen as well as haemorrhages are seen.")
        == "Drusen as well as haemorrhages are seen."
    )


def test_an_adjective_finding_is_asked_about_as_the_structure_it_qualifies() -> None:
    """Labelled a mismatch: 'Describe the pallor' answered by 'Her disc now shows a large, pale cup' (a pale
    cup is not disc pallor)."""
    for said in ("Her disc now shows a large, pale cup.", "Its cup is large and pale."):
        cues = (said,)
        question = OfflineCueGenerator().generate(PairContext("p", cues, "", modality="colour_fundus"), "vqa")
        assert "cup" in question.turns[0].text and "pallor" not in question.turns[0].text, question.turns
