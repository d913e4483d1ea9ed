"""Issue 23, round 2: the failure kinds a trainer still found in the demo, each fed to the offline generator
(CoT without a finding, interpretation premises, fragment phrases, run-on answers, locating-only VQA)."""

from __future__ import annotations

import re

import pytest

from ophin.synthesis.base import PairContext
from ophin.synthesis.offline import OfflineCueGenerator, applicable_kinds
from ophin.synthesis.phrases import clauses, noun_phrase_at
from ophin.synthesis.reading import clean_cues
from ophin.synthesis.templates import is_plural


def _turns(ctx: PairContext, kind: str, derived: str = "narrated") -> list[str]:
    return [t.text for t in OfflineCueGenerator(derived).generate(ctx, kind).turns]


def _steps(text: str) -> tuple[str, list[str]]:
    lines = text.split("\n")
    observation = next(line for line in lines if "Observation:" in line)
    return observation, [line for line in lines if "Interpretation:" in line]


def test_applicable_kinds_has_no_cot_when_only_anatomy_is_named() -> None:
    ctx = PairContext(
        "p-anat", ("The macula sits in the middle of the image.", "The nerve fibres run to the disc."), "",
        modality="colour_fundus",
    )  # fmt: skip
    assert "cot" not in applicable_kinds(ctx)
    with pytest.raises(ValueError, match="no cot"):
        OfflineCueGenerator().generate(ctx, "cot")


def test_applicable_kinds_keeps_cot_for_a_picture_narrated_as_normal() -> None:
    ctx = PairContext(
        "p-norm", ("The optic disc has a sharp margin and a normal colour.",), "", modality="colour_fundus"
    )
    assert "cot" in applicable_kinds(ctx)
    observation, _ = _steps(_turns(ctx, "cot")[1])
    assert "appear normal" in observation and "no abnormality of" not in observation


def test_generate_cot_interprets_only_findings_the_observation_names() -> None:
    ctx = PairContext(
        "p-prem",
        ("Drusen cluster at the macula, number 4 points to the cotton wool spots at the bottom.",
         "These white patches are small areas of swollen nerve fibers."),
        "",
        modality="colour_fundus",
    )  # fmt: skip
    observation, interpretations = _steps(_turns(ctx, "cot")[1])
    assert interpretations
    for step in interpretations:
        premise = re.search(r"; so (?:the )?(.+?) (?:is|are) consistent with", step)
        assert premise is not None, step
        assert premise.group(1) in observation, (premise.group(1), observation)


def test_generate_cot_takes_no_premise_from_the_narrators_conclusion() -> None:
    ctx = PairContext(
        "p-concl",
        ("A dark cystic space sits within the retina, consistent with macular oedema.",),
        "",
        modality="oct",
    )
    observation, interpretations = _steps(_turns(ctx, "cot")[1])
    assert "macular oedema" not in observation
    assert all("so the macular oedema" not in s for s in interpretations)


@pytest.mark.parametrize(
    ("sentence", "term", "phrase"),
    [
        ("A thin dark crescent of pigment lines the disc.", "crescent", "a thin dark crescent of pigment"),
        (
            "Number 4 points to the cotton wool spots at the bottom.",
            "cotton",
            "the cotton wool spots at the bottom",
        ),
        ("These are small areas of swollen nerve fibers.", "swollen", "swollen nerve fibers"),
        ("The pale central cup in enlarged.", "pale", "the pale central cup"),  # "in enlarged" is no place
        ("Intraretinal cystic spaces distort the fovea.", "cystic", "intraretinal cystic spaces"),
        # A word after the noun that takes an object is the verb ("blocks the"), not part of a compound.
        ("The lens opacity blocks the red reflex.", "opacity", "the lens opacity"),
        ("A white infiltrate covers a third of the cornea.", "infiltrate", "a white infiltrate"),
    ],
)
def test_noun_phrase_at_takes_the_phrase_whole(sentence: str, term: str, phrase: str) -> None:
    start = sentence.lower().index(term)
    assert noun_phrase_at(sentence, start, start + len(term)) == phrase


def test_noun_phrase_at_stops_at_a_garbled_word() -> None:
    text = "A dark cystic space within the dinnerette."
    start = text.index("cystic")
    assert (
        noun_phrase_at(text, start, start + 6, frozenset({"dark", "space", "cystic"}))
        == "a dark cystic space"
    )


def test_generate_cot_observation_keeps_the_cues_plural() -> None:
    ctx = PairContext("p-pl", ("There are cystic spaces in the inner retina.",), "", modality="oct")
    observation, _ = _steps(_turns(ctx, "cot", "hedged")[1])
    assert "cystic spaces" in observation and "cystic space " not in observation + " "


def test_clauses_split_a_run_on_at_a_new_subject() -> None:
    run_on = (
        "Loose ring around the fovea, drusen become more common with age, number 4 points to the cotton "
        "wool spots at the bottom."
    )
    assert clauses(run_on) == [
        "Loose ring around the fovea.",
        "Drusen become more common with age.",
        "Number 4 points to the cotton wool spots at the bottom.",
    ]
    # No new subject, an opening adverbial, a clause that refers back: one sentence each.
    assert len(clauses("A normal macula, with a smooth foveal dip in the centre.")) == 1
    assert len(clauses("In this fundus photograph, the disc is pale.")) == 1
    assert clauses("Small bumps lift the pigment line, these bumps are drusen.") == [
        "Small bumps lift the pigment line, these bumps are drusen."
    ]


def test_generate_vqa_answers_only_the_clauses_about_its_focus() -> None:
    ctx = PairContext(
        "p-run",
        ("The disc has a thin rim, drusen become more common with age, the macula looks flat.",),
        "",
        modality="colour_fundus",
    )
    assert len(clean_cues(ctx.cues)) == 3
    question, answer = _turns(ctx, "vqa")
    assert answer.count(",") == 0 and len(answer.split()) < 10, answer


def test_applicable_kinds_has_no_vqa_that_only_locates_a_structure() -> None:
    locating = PairContext(
        "p-loc",
        ("The macula sits in the middle of the image.", "The disc is on the left."),
        "",
        modality="colour_fundus",
    )
    assert applicable_kinds(locating) == ()
    described = PairContext(
        "p-desc", ("The fovea appears as a darker spot in the centre.",), "", modality="colour_fundus"
    )
    assert "vqa" in applicable_kinds(described)


def test_generate_vqa_prefers_a_finding_over_a_structure() -> None:
    ctx = PairContext(
        "p-focus",
        ("The macula sits in the middle of the image.", "Flame haemorrhages lie above the disc."),
        "",
        modality="colour_fundus",
    )
    question, answer = _turns(ctx, "vqa")
    assert "haemorrhage" in question.lower() and "haemorrhages" in answer.lower()


def test_is_plural_reads_the_head_noun_before_a_qualifier() -> None:
    assert is_plural("the cotton wool spots at the bottom")
    assert not is_plural("a thin crescent of pigments")


def test_generate_cot_premise_of_a_predicative_adjective_names_its_structure() -> None:
    ctx = PairContext("p-pale", ("Its cup is large and pale.",), "", modality="colour_fundus")
    observation, interpretations = _steps(_turns(ctx, "cot", "hedged")[1])
    assert "the pale cup" in observation and not re.search(r"the pale\b(?! cup)", observation)


def test_generate_cot_names_one_finding_once_in_the_words_that_say_most() -> None:
    # The relation's premise ("the hypopyon") and the cue's phrase ("a white hypopyon") are one finding: the
    # observation named both ("shows the white hypopyon and the hypopyon") before.
    ctx = PairContext(
        "p-hyp",
        (
            "A white hypopyon has settled in the lower part of the anterior chamber.",
            "A hypopyon means severe inflammation or infection inside the eye.",
        ),
        "",
        modality="slit_lamp",
    )
    observation, interpretations = _steps(_turns(ctx, "cot", "hedged")[1])
    assert observation.count("hypopyon") == 1 and "white hypopyon" in observation, observation
    assert interpretations and "the white hypopyon" in interpretations[0], interpretations


def test_generate_leaves_out_a_garbled_cue_when_a_clear_one_remains() -> None:
    # "dinnerette" is in no word list: the verifier refuses any record that restates it, and a VQA restates
    # its cue whole; the image's other finding makes the record instead.
    ctx = PairContext(
        "p-garbled",
        ("A dark cystic space sits within the dinnerette.", "Subretinal fluid lifts the fovea."),
        "",
        modality="oct",
    )
    for kind in ("vqa", "cot"):
        answer = _turns(ctx, kind, "hedged")[1]
        assert "dinnerette" not in answer and "fluid" in answer, (kind, answer)
    alone = PairContext(
        "p-garbled-only", ("A dark cystic space sits within the dinnerette.",), "", modality="oct"
    )
    assert "dinnerette" in _turns(alone, "vqa", "hedged")[1]  # nothing clear left: made, and refused with why
