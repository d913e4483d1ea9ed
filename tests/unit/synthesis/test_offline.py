"""The offline cue-template generator: grounded answers, templated questions, deterministic output."""

from __future__ import annotations

import re

import pytest

from ophin.synthesis.base import KINDS, InstructionGenerator, PairContext
from ophin.synthesis.offline import OfflineCueGenerator, normalize_cue
from ophin.verification.checks import CheckParams, check_instruction, content_words

GLAUCOMA = PairContext(
    pair_id="pair-glaucoma",
    cues=(
        "So here you can see a fundus photograph of the right eye.",
        "The cup-to-disc ratio looks enlarged, around zero point seven.",
        "notice the haemorrhage at the inferior disc margin",
        "These findings are consistent with glaucoma.",
    ),
    transcript="Welcome back. So here you can see a fundus photograph of the right eye. The patient is 70.",
)
OCT = PairContext(
    pair_id="pair-oct",
    cues=("on the OCT you can see subretinal fluid under the fovea", "and the rpe is elevated nasally"),
    transcript="on the OCT you can see subretinal fluid under the fovea and the rpe is elevated nasally",
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("so here you can see the optic disc with a large cup", "The optic disc with a large cup."),
        ("Notice that the vessels are tortuous.", "The vessels are tortuous."),
        (
            "As you can see, there are hard exudates temporal to the fovea!",
            "There are hard exudates temporal to the fovea.",
        ),
        ("okay so on the left you can see subretinal fluid here", "Subretinal fluid here."),
        ("  The   disc is   pale ", "The disc is pale."),
        ("you can see drusen", "You can see drusen."),  # stripping would leave too little: keep it whole
    ],
)
def test_normalize_cue_strips_leading_deictics(raw: str, expected: str) -> None:
    assert normalize_cue(raw) == expected


def test_generate_answers_use_only_cue_words() -> None:
    generator = OfflineCueGenerator()
    cue_words = set(content_words(" ".join(GLAUCOMA.cues)))
    for kind in KINDS:
        instruction = generator.generate(GLAUCOMA, kind)
        answers = " ".join(t.text for t in instruction.turns if t.role == "gpt")
        assert set(content_words(answers)) <= cue_words, kind
        # The transcript-only fact must never leak into an offline answer.
        assert "70" not in answers and "patient" not in answers.lower()


def test_generate_vqa_asks_about_the_detected_modality() -> None:
    instruction = OfflineCueGenerator().generate(OCT, "vqa")
    human, gpt = instruction.turns
    assert human.role == "human" and "OCT scan" in human.text
    assert gpt.text == "Subretinal fluid under the fovea. The rpe is elevated nasally."


def test_generate_vqa_falls_back_to_image_without_modality() -> None:
    ctx = PairContext("p-x", ("The optic disc is pale and the cup is deep.",), "")
    question = OfflineCueGenerator().generate(ctx, "vqa").turns[0].text
    assert "image" in question


def test_generate_conversation_has_one_exchange_per_cue() -> None:
    instruction = OfflineCueGenerator().generate(GLAUCOMA, "conversation")
    roles = [t.role for t in instruction.turns]
    assert roles == ["human", "gpt"] * 4
    questions = [t.text for t in instruction.turns if t.role == "human"]
    assert questions[0] == "What does this fundus photograph show?"
    assert questions[1] == "What about the cup-to-disc ratio?"
    assert questions[2] == "What about the haemorrhage?"
    assert questions[3] == "What is the likely diagnosis?"


def test_generate_conversation_first_question_names_the_finding_and_image() -> None:
    turns = OfflineCueGenerator().generate(OCT, "conversation").turns
    assert turns[0].text == "What can you tell me about the subretinal fluid in this OCT scan?"
    assert turns[2].text == "What about the RPE?"


def test_generate_cot_concludes_with_the_diagnosis_cue() -> None:
    instruction = OfflineCueGenerator().generate(GLAUCOMA, "cot")
    human, gpt = instruction.turns
    assert human.text == "Examine this fundus photograph step by step and summarise the key finding."
    lines = gpt.text.split("\n")
    assert [re.match(r"(Step \d+|Conclusion):", line).group(1) for line in lines] == [  # type: ignore[union-attr]
        "Step 1",
        "Step 2",
        "Step 3",
        "Conclusion",
    ]
    assert lines[-1] == "Conclusion: These findings are consistent with glaucoma."


def test_generate_cot_concludes_with_pathology_else_last_cue() -> None:
    generator = OfflineCueGenerator()
    pathology = generator.generate(OCT, "cot").turns[1].text
    assert pathology.endswith("Conclusion: Subretinal fluid under the fovea.")
    normal = PairContext("p-n", ("The optic disc is pink.", "The macula looks normal."), "")
    assert generator.generate(normal, "cot").turns[1].text.endswith("Conclusion: The macula looks normal.")


def test_generate_output_passes_all_checks() -> None:
    generator = OfflineCueGenerator()
    for ctx in (GLAUCOMA, OCT):
        for kind in KINDS:
            instruction = generator.generate(ctx, kind)
            results = {r.check: r for r in check_instruction(instruction.turns, ctx.cues, CheckParams())}
            assert all(r.passed for r in results.values()), (kind, results)
            assert results["grounded"].score == 1.0


def test_generate_is_deterministic_and_records_provenance() -> None:
    generator: InstructionGenerator = OfflineCueGenerator()
    first = generator.generate(GLAUCOMA, "vqa")
    assert first == OfflineCueGenerator().generate(GLAUCOMA, "vqa")
    assert (first.kind, first.generator, first.generator_version, first.prompt_version) == (
        "vqa",
        "offline-cue-template",
        "1",
        None,
    )


def test_generate_drops_repeated_cues() -> None:
    ctx = PairContext("p-r", ("The disc is swollen.", "the disc is swollen", "Haemorrhages surround it."), "")
    turns = OfflineCueGenerator().generate(ctx, "conversation").turns
    assert len(turns) == 4


def test_generate_rejects_empty_cues_and_unknown_kind() -> None:
    generator = OfflineCueGenerator()
    with pytest.raises(ValueError, match="no visual-cue"):
        generator.generate(PairContext("p-e", (), "some transcript"), "vqa")
    with pytest.raises(ValueError, match="no visual-cue"):
        generator.generate(PairContext("p-e", ("   ",), ""), "cot")
    with pytest.raises(ValueError, match="unknown instruction kind"):
        generator.generate(GLAUCOMA, "caption")  # type: ignore[arg-type]


def test_generate_conversation_asks_about_adjectives_by_their_noun() -> None:
    cues = ("The macula is thickened.", "A dark cystic space sits within the inner retina.")
    turns = OfflineCueGenerator().generate(PairContext("p-adj", cues, ""), "conversation").turns
    questions = [t.text for t in turns if t.role == "human"]
    assert questions == ["What can you tell me about the macula in this image?", "What about the cyst?"]
