"""Issue 23's failure kinds, each fed to the offline generator: modality, derived diagnoses, VQA focus,
conversation depth, CoT copying and narration artefacts."""

from __future__ import annotations

import re

from ophin.cues.lexicon import TERMS, find_terms, terms_of_kind
from ophin.synthesis.base import PairContext
from ophin.synthesis.modality import record_modality, scrub
from ophin.synthesis.normalize import find_artefacts
from ophin.synthesis.offline import OfflineCueGenerator, applicable_kinds
from ophin.verification.checks import content_words

FUNDUS_CUES = (
    "Good morning everyone.",
    "Here we have a fundus photograph of the left eye.",
    "As you can see, there is a flame haemorrhage at the disc margin.",
    "Hard exudates surround the fovea.",
    "Multiple large drusen are scattered at the macula.",
)
OCT_CUES = ("On this OCT scan, intraretinal cystoid spaces distort the fovea.", "There is subretinal fluid.")


def _text(ctx: PairContext, kind: str) -> str:
    return " ".join(t.text for t in OfflineCueGenerator(derived_diagnoses="hedged").generate(ctx, kind).turns)


def _modalities(text: str) -> set[str]:
    return {m.term.label for m in terms_of_kind(find_terms(text, TERMS), "modality")}


def test_record_modality_is_the_frames_when_the_narration_agrees_or_is_silent() -> None:
    assert record_modality("colour_fundus", ["A fundus photograph of the left eye."]) == "fundus photograph"
    assert record_modality("colour_fundus", ["Drusen at the macula."]) == "fundus photograph"
    assert record_modality("colour_fundus", ["On this OCT scan, fluid."]) is None  # they disagree
    assert record_modality("diagram_or_slide", ["A fundus photograph."]) is None
    assert record_modality(None, ["On this OCT scan, fluid."]) == "oct"


def test_scrub_replaces_another_modality_with_the_neutral_noun() -> None:
    assert scrub("This is a colour fundus photograph of the left macula.", "oct") == (
        "This is an image of the left macula."
    )
    assert scrub("The OCT scan shows fluid.", "oct") == "The OCT scan shows fluid."


def test_generate_names_only_the_frames_modality() -> None:
    # The narration names an OCT, the classifier a fundus photograph: the records name neither.
    ctx = PairContext("p-mixed", OCT_CUES, "", modality="colour_fundus")
    for kind in applicable_kinds(ctx):
        assert _modalities(_text(ctx, kind)) == set(), kind
    agreeing = PairContext("p-oct", OCT_CUES, "", modality="oct")
    assert {m for k in applicable_kinds(agreeing) for m in _modalities(_text(agreeing, k))} == {"oct"}


def test_generate_uses_no_relation_of_another_modality() -> None:
    # "Cystoid spaces ... on OCT" is an OCT relation: not stated for a fundus photograph.
    cues = ("Cystoid spaces surround the fovea.", "Drusen at the macula.")
    fundus = PairContext("p-f", cues, "", modality="colour_fundus")
    cot = OfflineCueGenerator(derived_diagnoses="hedged").generate(fundus, "cot")
    assert "OCT" not in cot.turns[1].text and all(c.finding != "cystoid spaces" for c in cot.citations)
    oct_ctx = PairContext("p-o", ("Cystoid spaces distort the fovea.",), "", modality="oct")
    assert any(
        c.finding == "cystoid spaces"
        for c in OfflineCueGenerator(derived_diagnoses="hedged").generate(oct_ctx, "cot").citations
    )


def test_generate_hedges_a_derived_diagnosis_and_cites_it() -> None:
    ctx = PairContext(
        "p-d", ("Multiple large drusen are scattered at the macula.",), "", modality="colour_fundus"
    )
    cot = OfflineCueGenerator(derived_diagnoses="hedged").generate(ctx, "cot")
    text = cot.turns[1].text
    for sentence in re.split(r"(?<=[.;])\s+", text):
        if "macular degeneration" in sentence and not sentence.startswith(
            ("Step 2: Interpretation: drusen",)
        ):
            assert "consistent with" in sentence, sentence
    assert "the diagnosis is" not in text.lower()
    assert [c.source for c in cot.citations] and all(c.source for c in cot.citations)
    assert "macular degeneration" not in _text(ctx, "vqa")


def test_generate_states_a_narrated_diagnosis_as_the_diagnosis() -> None:
    cues = ("The cup-to-disc ratio is enlarged.", "These findings mean this patient has glaucoma.")
    text = _text(PairContext("p-g", cues, "", modality="colour_fundus"), "cot")
    assert "Conclusion: the diagnosis is glaucoma" in text or "the diagnosis is glaucoma." in text


def test_generate_concludes_a_hedged_narrated_diagnosis_as_said() -> None:
    """'a sign of glaucoma' concluded 'the diagnosis is glaucoma' was labelled bad: certainty nobody said."""
    for said in (
        "These findings are consistent with glaucoma.",
        "Its cup is large and pale, a sign of glaucoma.",
    ):
        text = _text(
            PairContext("p-h", ("The cup-to-disc ratio is enlarged.", said), "", modality="colour_fundus"),
            "cot",
        )
        conclusion = text.split("Conclusion:")[1]
        assert "the diagnosis is" not in conclusion and "consistent with glaucoma" in conclusion, text


def test_generate_states_a_diagnosis_with_the_grade_said_before_it() -> None:
    cues = ("A frond of new vessels grows at the disc, so this is proliferative retinopathy.",)
    text = _text(PairContext("p-pdr", cues, "", modality="colour_fundus"), "cot")
    assert "the diagnosis is proliferative retinopathy" in text, text
    misheard = ("A frond of new vessels grows at the disc, so this is brown retinopathy.",)  # no grade word
    assert "brown retinopathy" not in _text(
        PairContext("p-brown", misheard, "", modality="colour_fundus"), "cot"
    )


def test_generate_vqa_answer_addresses_its_focus() -> None:
    # The structure described is the disc, not the fovea named first (one finding: a focused question).
    cues = (
        "Near the fovea the disc is swollen.",
        "The vessels look normal.",
    )
    for i in range(20):
        question, answer = (
            t.text for t in OfflineCueGenerator().generate(PairContext(f"p{i}", cues, ""), "vqa").turns
        )
        focus = {m.term.label for m in find_terms(question, TERMS) if m.term.kind in ("finding", "anatomy")}
        assert focus and focus & {m.term.label for m in find_terms(answer, TERMS)}, (question, answer)
        assert "fovea" not in question, question


def test_applicable_kinds_has_no_conversation_under_three_findings() -> None:
    two = PairContext("p-2", ("Drusen at the macula.", "A flame haemorrhage at the disc."), "")
    assert applicable_kinds(two, derived="hedged") == ("vqa", "cot")
    three = PairContext("p-3", FUNDUS_CUES, "", modality="colour_fundus")
    assert applicable_kinds(three, derived="hedged") == ("vqa", "conversation", "cot")


def test_generate_conversation_turns_cover_different_findings() -> None:
    ctx = PairContext("p-3", FUNDUS_CUES, "", modality="colour_fundus")
    turns = OfflineCueGenerator().generate(ctx, "conversation").turns
    answers = [t.text for t in turns if t.role == "gpt"]
    assert len(answers) >= 3
    covered = [{m.term.label for m in terms_of_kind(find_terms(a, TERMS), "finding")} for a in answers]
    findings = [c for c in covered if c]
    assert len(findings) >= 3 and len(set().union(*findings)) >= 3


def test_generate_cot_copies_no_answer_of_another_kind() -> None:
    for i in range(20):
        ctx = PairContext(f"p-c{i}", FUNDUS_CUES, "", modality="colour_fundus")
        others = [
            set(content_words(s))
            for k in ("vqa", "conversation")
            for t in OfflineCueGenerator(derived_diagnoses="hedged").generate(ctx, k).turns
            if t.role == "gpt"
            for s in re.split(r"(?<=[.!?])\s+", t.text)
        ]
        for line in _text(ctx, "cot").split("\n")[1:]:
            words = set(content_words(line))
            for other in others:
                overlap = len(words & other) / max(1, len(words | other))
                assert overlap < 0.6, (line, other)


def test_generate_leaves_narration_artefacts_out() -> None:
    ctx = PairContext("p-a", FUNDUS_CUES, "", modality="colour_fundus")
    assert find_artefacts(" ".join(FUNDUS_CUES))  # the bad case: the narration holds them
    for kind in applicable_kinds(ctx):
        assert find_artefacts(_text(ctx, kind)) == [], kind
        assert "morning" not in _text(ctx, kind).lower()


def test_read_cue_phrase_reaches_the_noun_after_several_adjectives() -> None:
    from ophin.synthesis.reading import read_cue

    assert read_cue("The pale central cup is enlarged.").phrase == "pale central cup"  # not "pale central"
    # Taken whole with its qualifiers (issue 23, round 2): "dark" stays, the verb "sits" ends it.
    assert read_cue("A dark cystic space sits within the inner retina.").phrase == "dark cystic space"
