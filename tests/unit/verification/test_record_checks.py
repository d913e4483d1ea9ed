"""Record checks beside the image and narration: each refuses its failure kind and lets the near miss pass."""

from __future__ import annotations

from ophin.synthesis.base import Turn
from ophin.verification.record_checks import (
    RecordContext,
    check_record,
    conversation_depth,
    cot_steps_distinct,
    diagnosis_narrated,
    focus_addressed,
    modality_consistent,
    no_artefacts,
)


def _qa(question: str, answer: str) -> tuple[Turn, ...]:
    return (Turn("human", question), Turn("gpt", answer))


def test_modality_consistent_refuses_another_modality_and_passes_its_own() -> None:
    bad = modality_consistent(
        _qa("Describe it.", "A healthy OCT shows a smooth foveal contour."), "colour_fundus"
    )
    assert not bad.passed and "OCT" in bad.detail and "colour_fundus" in bad.detail
    good = modality_consistent(_qa("Describe this OCT scan.", "The OCT shows cystoid spaces."), "oct")
    assert good.passed


def test_modality_consistent_ignores_generic_and_denied_mentions_and_unknown_frames() -> None:
    turns = _qa("What is in this scan of the fundus?", "This is not an OCT; the fundus shows drusen.")
    assert modality_consistent(turns, "colour_fundus").passed
    assert modality_consistent(_qa("Q?", "An OCT scan."), None).passed
    assert not modality_consistent(_qa("Q?", "A slit-lamp photograph."), "external_eye").passed


def test_diagnosis_narrated_accepts_a_named_one_and_refuses_an_invented_one() -> None:
    narration = ("There are drusen at the macula in this patient with macular degeneration.",)
    assert diagnosis_narrated(["Drusen in age-related macular degeneration."], narration).passed
    invented = diagnosis_narrated(["The disc is cupped: this is glaucoma."], ("The disc is pale.",))
    assert not invented.passed and "glaucoma" in invented.detail


def test_diagnosis_narrated_allows_a_hedged_relation_with_a_narrated_premise_only() -> None:
    narration = ("Numerous drusen are scattered across the macula.",)
    hedged = ["The drusen are consistent with age-related macular degeneration."]
    assert diagnosis_narrated(hedged, narration, derived="hedged").passed
    assert not diagnosis_narrated(
        ["This is age-related macular degeneration."], narration, derived="hedged"
    ).passed
    # Hedged, but nothing narrated leads there.
    assert not diagnosis_narrated(["These are consistent with glaucoma."], narration, derived="hedged").passed
    # Denied diagnoses are no claim.
    assert diagnosis_narrated(["There is no glaucoma."], narration, derived="hedged").passed


def test_diagnosis_narrated_refuses_a_hedged_diagnosis_the_narration_does_not_name() -> None:
    narration = ("Numerous drusen are scattered across the macula.",)
    hedged = ["The drusen are consistent with age-related macular degeneration."]
    refused = diagnosis_narrated(hedged, narration)  # derived="narrated", the setting's default
    assert not refused.passed and "not narrated" in refused.detail
    named = (*narration, "This is dry age-related macular degeneration.")
    assert diagnosis_narrated(hedged, named).passed
    assert diagnosis_narrated(["There is no glaucoma."], narration).passed  # denied: no claim


def test_diagnosis_narrated_refuses_a_relation_of_another_modality() -> None:
    narration = ("There is a shallow pocket of subretinal fluid beneath the fovea.",)
    quoted = [
        "Subretinal fluid on OCT is a sign of active exudation, as in neovascular age-related macular "
        "degeneration."
    ]
    assert diagnosis_narrated(quoted, narration, "oct", "hedged").passed
    assert not diagnosis_narrated(quoted, narration, "colour_fundus", "hedged").passed


def test_focus_addressed_refuses_an_answer_about_another_structure() -> None:
    bad = focus_addressed(_qa("Describe the fovea in this image.", "The optic disc is pale."))
    assert not bad.passed and "fovea" in bad.detail
    assert focus_addressed(_qa("Describe the fovea.", "The macula holds drusen.")).passed  # same family
    assert focus_addressed(_qa("What does this image show?", "The optic disc is pale.")).passed
    assert not focus_addressed(_qa("What kind of image is this?", "The disc is pale.")).passed
    assert focus_addressed(_qa("What kind of image is this?", "A fundus photograph.")).passed


def test_no_artefacts_refuses_the_lecture_voice_and_keeps_clinical_wording() -> None:
    for text in (
        "As you can see, the disc is pale.",
        "We can see a pale disc.",
        "In the next slide the disc is pale.",
        "Thank you, the disc is pale.",
        "Welcome back: the disc is pale.",
        "Um, the disc is pale.",
        "My view is that the disc is pale.",
    ):
        assert not no_artefacts(_qa("Describe the disc.", text)).passed, text
    clinical = "Zone I retinopathy of prematurity with a type I pattern; the disc is pale, as seen in US."
    assert no_artefacts(_qa("What are we looking at here?", clinical)).passed


def test_cot_steps_distinct_refuses_a_copied_step_not_a_shared_term() -> None:
    siblings = ["The optic disc has an enlarged cup. The rim is thinned inferiorly."]
    copied = ["Step 1: The optic disc has an enlarged cup.\nConclusion: Glaucoma is suspected."]
    result = cot_steps_distinct(copied, siblings)
    assert not result.passed and "part 1" in result.detail
    own = ["Step 1: The cup is large relative to the disc.\nConclusion: This raises suspicion of glaucoma."]
    assert cot_steps_distinct(own, siblings).passed


def test_conversation_depth_needs_three_exchanges() -> None:
    two = (*_qa("Q1?", "A one."), *_qa("Q2?", "A two."))
    assert not conversation_depth(two).passed
    assert conversation_depth((*two, *_qa("Q3?", "A three."))).passed


def test_check_record_runs_the_checks_of_its_kind() -> None:
    turns = _qa("Describe the disc.", "The disc is pale.")
    names = {
        kind: [
            r.check for r in check_record(turns, RecordContext(kind, "colour_fundus", ("The disc is pale.",)))
        ]
        for kind in ("vqa", "conversation", "cot")
    }
    assert names["vqa"] == ["modality", "diagnosis", "focus", "no_artefacts"]
    assert names["conversation"] == ["modality", "diagnosis", "no_artefacts", "depth"]
    assert names["cot"] == ["modality", "diagnosis", "no_artefacts", "cot_copy"]
