"""The offline cue-template generator: three different instructions per image, grounded, deterministic."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from ophin.knowledge import RELATIONS, RELATIONS_DIGEST
from ophin.stages.verify import FRAME_TEXT
from ophin.synthesis.base import KINDS, InstructionGenerator, PairContext
from ophin.synthesis.offline import (
    ANSWER_FRAMES,
    TEMPLATES_DIGEST,
    OfflineCueGenerator,
    applicable_kinds,
    knowledge_for,
    normalize_cue,
)
from ophin.verification.checks import CheckParams, check_instruction, check_reasoning, content_words

NORMAL_FUNDUS = PairContext(
    pair_id="pair-normal",
    cues=(
        "In this fundus photograph of the right eye, the optic disc has well-defined margins.",
        "The macula looks healthy with a normal foveal reflex.",
        "There are no haemorrhages, exudates or cotton wool spots.",
    ),
    transcript="Welcome. In this fundus photograph of the right eye, the optic disc has sharp margins.",
)
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
AMD = PairContext(
    pair_id="pair-amd",
    cues=(
        "This is a colour fundus photograph of the left macula.",
        "Multiple large yellow drusen are scattered around the fovea.",
        "There is no haemorrhage and no sign of fluid.",
    ),
    transcript="",
)
DME = PairContext(
    pair_id="pair-dme",
    cues=(
        "On this OCT scan, intraretinal cystoid spaces distort the fovea.",
        "There is also subretinal fluid under the fovea.",
        "The central retinal thickness is 450 microns.",
    ),
    transcript="",
)
NEGATION_AND_NUMBER = PairContext(
    pair_id="pair-negnum",
    cues=(
        "The retinal nerve fibre layer is thinned inferiorly to 62 microns.",
        "The cup to disc ratio is 0.8 and there is no disc haemorrhage.",
        "The disc is not swollen.",
    ),
    transcript="",
)
OCT = PairContext(
    pair_id="pair-oct",
    cues=("on the OCT you can see subretinal fluid under the fovea", "and the rpe is elevated nasally"),
    transcript="on the OCT you can see subretinal fluid under the fovea and the rpe is elevated nasally",
)
MANY = PairContext(
    pair_id="pair-many",
    cues=(
        "Hello everyone, welcome back.",
        "This is a colour fundus photograph of the left eye.",
        "As you can see, there is a flame haemorrhage at the disc margin.",
        "Hard exudates surround the fovea.",
        "Multiple large drusen are scattered at the macula.",
        "On this slide the cup-to-disc ratio is enlarged.",
    ),
    transcript="",
    modality="colour_fundus",
)
CONTEXTS = (NORMAL_FUNDUS, GLAUCOMA, AMD, DME, NEGATION_AND_NUMBER, OCT, MANY)
PAIR_IDS = tuple(f"p-{i}" for i in range(25))

_MARKER = re.compile(r"^(?:step\s+\d+\s*:|conclusion\s*:)\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


def _variants(ctx: PairContext) -> list[PairContext]:
    """The same narration as many pairs would carry it: the template choice follows the narration as given
    (offline.wording_seed), which reading normalises, so trailing spaces vary the wording and nothing else."""
    return [
        replace(ctx, pair_id=f"{ctx.pair_id}-{p}", cues=tuple(c + " " * i for c in ctx.cues))
        for i, p in enumerate(PAIR_IDS)
    ]


def _answers(ctx: PairContext, kind: str) -> list[str]:
    if kind not in applicable_kinds(ctx, derived="hedged"):
        return []
    # The hedged setting: these cases pin the full reasoning (derived diagnoses hedged and cited).
    generated = OfflineCueGenerator(derived_diagnoses="hedged").generate(ctx, kind)  # type: ignore[arg-type]
    return [t.text for t in generated.turns if t.role == "gpt"]


def _sentences(text: str) -> set[str]:
    """Answer sentences, compared without case, punctuation or the 'Step n:'/'Conclusion:' layout markers."""
    out = set()
    for piece in _SENTENCE_END.split(text):
        body = re.sub(r"[^\w\s]", " ", _MARKER.sub("", piece.strip()).lower())
        if body.split():
            out.add(" ".join(body.split()))
    return out


def _body(cue: str) -> str:
    """A normalised cue as it may sit inside an answer: no final stop, first letter in either case."""
    return normalize_cue(cue).rstrip(".").lower()


def _template_words() -> set[str]:
    return set(content_words(re.sub(r"\{\w+\}", " ", " ".join(ANSWER_FRAMES))))


def assert_grounded(ctx: PairContext, text: str) -> None:
    """Every content word of an answer comes from the cues, the relation statements allowed for this
    context, or the fixed template frames; never from the transcript or anywhere else."""
    allowed = set(content_words(" ".join((*ctx.cues, *knowledge_for(ctx))))) | _template_words()
    invented = set(content_words(text)) - allowed
    assert not invented, f"{invented} in {text!r}"


def _cot_parts(ctx: PairContext) -> tuple[list[str], str]:
    (answer,) = _answers(ctx, "cot")
    lines = answer.split("\n")
    assert [re.match(r"(Step \d+|Conclusion):", line) is not None for line in lines] == [True] * len(lines)
    steps = [re.sub(r"^Step \d+: ", "", line) for line in lines[:-1]]
    assert lines[-1].startswith("Conclusion: ")
    return steps, lines[-1].removeprefix("Conclusion: ")


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
        ("you can see drusen", "Drusen."),  # the framing goes; the finding it names stays
        ("Hello everyone, welcome back to the lecture.", ""),  # nothing about the picture: dropped
        ("The disc, as you can see, is swollen.", "The disc is swollen."),
        ("On this slide we have drusen at the macula.", "Drusen at the macula."),
        ("Let's look at the macula, which shows drusen.", "The macula, which shows drusen."),
        (  # the lead belongs to a longer phrase: stripping it would leave "Of the right eye, ..."
            "In this fundus photograph of the right eye, the disc is pink.",
            "In this fundus photograph of the right eye, the disc is pink.",
        ),
    ],
)
def test_normalize_cue_strips_leading_deictics(raw: str, expected: str) -> None:
    assert normalize_cue(raw) == expected


@pytest.mark.parametrize("ctx", CONTEXTS, ids=lambda c: c.pair_id)
def test_generate_answers_use_only_cue_knowledge_and_frame_words(ctx: PairContext) -> None:
    for variant in _variants(ctx):
        for kind in KINDS:
            for answer in _answers(variant, kind):
                assert_grounded(variant, answer)
                assert "patient" not in answer.lower() and "welcome" not in answer.lower()


def test_assert_grounded_refuses_an_invented_word() -> None:
    with pytest.raises(AssertionError, match="melanoma"):
        assert_grounded(AMD, "The drusen are consistent with melanoma.")


@pytest.mark.parametrize("ctx", CONTEXTS, ids=lambda c: c.pair_id)
def test_generate_kinds_share_no_answer_sentence(ctx: PairContext) -> None:
    for variant in _variants(ctx):
        said = {kind: set().union(*(_sentences(a) for a in _answers(variant, kind))) for kind in KINDS}
        assert not said["vqa"] & said["conversation"], variant.pair_id
        assert not said["vqa"] & said["cot"], variant.pair_id
        assert not said["conversation"] & said["cot"], variant.pair_id
        # The trainer's complaint: the VQA answer was the conversation's answers joined.
        assert _answers(variant, "vqa")[0] != " ".join(_answers(variant, "conversation"))


@pytest.mark.parametrize(
    "ctx", [GLAUCOMA, AMD, DME, NEGATION_AND_NUMBER, NORMAL_FUNDUS], ids=lambda c: c.pair_id
)
def test_generate_vqa_answers_one_or_two_cues_never_all(ctx: PairContext) -> None:
    for variant in _variants(ctx):
        (answer,) = _answers(variant, "vqa")
        used = [c for c in variant.cues if _body(c) in answer.lower()]
        assert 1 <= len(used) <= 2 and len(used) < len(variant.cues), (variant.pair_id, answer)


def test_generate_vqa_cues_share_one_topic() -> None:
    # Two drusen cues and two optic-disc cues: an answer may pair cues of one topic, never mix them.
    ctx = PairContext(
        "p-topics",
        (
            "Large drusen are scattered around the fovea.",
            "Some of the drusen are confluent.",
            "The optic disc is pink.",
            "The optic disc margins are well defined.",
        ),
        "",
    )
    groups = [{_body(c) for c in ctx.cues[:2]}, {_body(c) for c in ctx.cues[2:]}]
    for variant in _variants(ctx):
        (answer,) = _answers(variant, "vqa")
        used = {_body(c) for c in variant.cues if _body(c) in answer.lower()}
        assert used and any(used <= group for group in groups), (variant.pair_id, answer)


@pytest.mark.parametrize("ctx", CONTEXTS, ids=lambda c: c.pair_id)
def test_generate_cot_concludes_with_a_synthesis_not_a_step(ctx: PairContext) -> None:
    for variant in _variants(ctx):
        steps, conclusion = _cot_parts(variant)
        assert steps[0].startswith("Observation: ")
        assert any(s.startswith("Interpretation: ") for s in steps)
        ending = _sentences(conclusion)
        assert all(not ending & _sentences(s) for s in steps)
        assert not ending & set().union(*(_sentences(normalize_cue(c)) for c in variant.cues))
        assert check_reasoning(
            OfflineCueGenerator(derived_diagnoses="hedged").generate(variant, "cot").turns
        ).passed


def test_generate_preserves_negations_and_numbers() -> None:
    everything = re.sub(
        r"Step \d+:", "", " ".join(a for k in KINDS for a in _answers(NEGATION_AND_NUMBER, k))
    )
    assert set(re.findall(r"\d+(?:\.\d+)?", everything)) <= {"62", "0.8"}
    for variant in _variants(NEGATION_AND_NUMBER):
        for kind in KINDS:
            for answer in _answers(variant, kind):
                # A denied finding is only ever restated with its denial.
                assert "haemorrhage" not in answer or "no disc haemorrhage" in answer
                assert "swollen" not in answer or "not swollen" in answer
                assert "0.8" not in answer or "ratio is 0.8" in answer


def test_generate_is_deterministic_yet_varied_across_pairs() -> None:
    generator: InstructionGenerator = OfflineCueGenerator(derived_diagnoses="hedged")
    first = generator.generate(GLAUCOMA, "vqa")
    assert first == OfflineCueGenerator(derived_diagnoses="hedged").generate(GLAUCOMA, "vqa")
    assert (first.kind, first.generator, first.generator_version, first.prompt_version) == (
        "vqa",
        "offline-cue-template",
        "11",
        None,
    )
    for kind in ("vqa", "cot"):
        questions = {generator.generate(v, kind).turns[0].text for v in _variants(GLAUCOMA)}
        assert len(questions) >= 2, kind


def test_generate_output_passes_the_verifier_with_its_knowledge() -> None:
    for ctx in CONTEXTS:
        for kind in applicable_kinds(ctx):
            instruction = OfflineCueGenerator(derived_diagnoses="hedged").generate(ctx, kind)
            results = {
                r.check: r
                for r in check_instruction(
                    instruction.turns, ctx.cues, CheckParams(), knowledge=(*knowledge_for(ctx), FRAME_TEXT)
                )
            }
            for name in ("grounded", "no_leakage", "length", "well_formed"):
                assert results[name].passed, (ctx.pair_id, kind, results[name])


def test_knowledge_for_lists_the_statements_used() -> None:
    knowledge = knowledge_for(GLAUCOMA)
    assert (
        "An enlarged or asymmetric cup-to-disc ratio raises suspicion of glaucomatous optic neuropathy."
        in knowledge
    )
    assert all(k in {r.statement for r in RELATIONS} for k in knowledge)
    assert knowledge_for(PairContext("p-empty", ("  ",), "")) == ()


def test_config_changes_with_templates_and_relations() -> None:
    config = OfflineCueGenerator(derived_diagnoses="hedged").config()
    assert config["version"] == "11"
    assert config["templates"] == TEMPLATES_DIGEST and config["relations"] == RELATIONS_DIGEST
    assert "lexicon" in config


def test_generate_rejects_empty_cues_and_unknown_kind() -> None:
    generator = OfflineCueGenerator(derived_diagnoses="hedged")
    with pytest.raises(ValueError, match="no visual-cue"):
        generator.generate(PairContext("p-e", (), "some transcript"), "vqa")
    with pytest.raises(ValueError, match="no visual-cue"):
        generator.generate(PairContext("p-e", ("   ",), ""), "cot")
    with pytest.raises(ValueError, match="unknown instruction kind"):
        generator.generate(GLAUCOMA, "caption")  # type: ignore[arg-type]
