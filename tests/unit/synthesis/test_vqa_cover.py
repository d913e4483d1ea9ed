"""Issue 23 key-finding recall: two narrated findings or more make one VQA that covers every one of them;
one finding keeps the focused question; a negated finding is not covered."""

from __future__ import annotations

from ophin.cues.lexicon import TERMS, find_terms
from ophin.stages.verify import FRAME_TEXT
from ophin.synthesis.base import PairContext
from ophin.synthesis.kinds.vqa import VQA_FINDINGS, covered_findings
from ophin.synthesis.offline import OfflineCueGenerator, applicable_kinds, knowledge_for
from ophin.synthesis.reading import read_image
from ophin.verification.checks import CheckParams, check_instruction, distinct_from_siblings
from ophin.verification.record_checks import RecordContext, check_record, cot_steps_distinct

TWO = (
    "There are drusen around the fovea.",
    "A small haemorrhage lies below the disc.",
    "The vessels look normal.",
)
MULTI_QUESTIONS = {q.format(noun="fundus photograph") for q in VQA_FINDINGS}


def _vqa(ctx: PairContext) -> tuple[str, str]:
    question, answer = (t.text for t in OfflineCueGenerator().generate(ctx, "vqa").turns)
    return question, answer


def _labels(text: str) -> set[str]:
    return {m.term.label for m in find_terms(text, TERMS) if m.term.kind == "finding"}


def test_vqa_names_every_narrated_finding() -> None:
    questions = set()
    for i in range(12):
        # The wording follows the narration as given (trailing spaces vary it; reading normalises them).
        ctx = PairContext(f"p-two-{i}", tuple(c + " " * i for c in TWO), "", modality="colour_fundus")
        question, answer = _vqa(ctx)
        questions.add(question)
        assert question in MULTI_QUESTIONS, question
        assert {"drusen", "haemorrhage"} <= _labels(answer), answer
        # In the cues' own words, and nothing about the normal vessels.
        assert answer == "There are drusen around the fovea. A small haemorrhage lies below the disc."
    assert len(questions) >= 2  # the wording rotates across narrations


def test_vqa_covers_an_abnormal_look_of_a_structure() -> None:
    cues = ("The cup-to-disc ratio looks enlarged.", "There is a haemorrhage at the inferior disc margin.")
    ctx = PairContext("p-cup", cues, "", modality="colour_fundus")
    assert list(covered_findings(read_image(ctx))) == ["enlarged cup-to-disc ratio", "haemorrhage"]
    question, answer = _vqa(ctx)
    assert question in MULTI_QUESTIONS
    assert "enlarged" in answer and "haemorrhage" in answer


def test_vqa_with_one_finding_keeps_its_focused_question() -> None:
    ctx = PairContext("p-one", ("There are drusen around the fovea.", "The vessels look normal."), "")
    question, answer = _vqa(ctx)
    assert question not in MULTI_QUESTIONS and "drusen" in question.lower(), question
    assert "drusen" in answer


def test_vqa_does_not_cover_a_negated_finding() -> None:
    cues = ("There are drusen around the fovea.", "There is no haemorrhage.")
    ctx = PairContext("p-neg", cues, "", modality="colour_fundus")
    assert list(covered_findings(read_image(ctx))) == ["drusen"]
    question, answer = _vqa(ctx)
    assert question not in MULTI_QUESTIONS and "haemorrhage" not in answer


def test_vqa_covering_findings_passes_the_verifier() -> None:
    ctx = PairContext("p-two", TWO, " ".join(TWO), modality="colour_fundus")
    first = OfflineCueGenerator().generate(ctx, "vqa")
    assert first == OfflineCueGenerator().generate(ctx, "vqa")  # deterministic
    siblings = tuple(
        (k, " ".join(t.text for t in OfflineCueGenerator().generate(ctx, k).turns if t.role == "gpt"))
        for k in applicable_kinds(ctx)
        if k != "vqa"
    )
    record = check_record(first.turns, RecordContext("vqa", "colour_fundus", TWO, siblings))
    assert all(r.passed for r in record), [r for r in record if not r.passed]
    focus = next(r for r in record if r.check == "focus")
    assert focus.score is None  # no single focus: nothing for the answer to miss
    knowledge = (*knowledge_for(ctx), FRAME_TEXT)
    results = check_instruction(first.turns, ctx.cues, CheckParams(), knowledge=knowledge)
    for r in results:
        if r.check in ("grounded", "no_leakage", "length", "well_formed"):
            assert r.passed, r


def test_vqa_stays_focused_where_the_conversation_covers_every_finding() -> None:
    three = (*TWO[:2], "Cotton wool spots are seen along the arcade.")
    ctx = PairContext("p-three", three, "", modality="colour_fundus")
    assert "conversation" in applicable_kinds(ctx)
    question, answer = _vqa(ctx)
    assert question not in MULTI_QUESTIONS, question
    conversation = " ".join(t.text for t in OfflineCueGenerator().generate(ctx, "conversation").turns)
    assert {"drusen", "haemorrhage", "cotton wool spots"} <= _labels(conversation)
    assert distinct_from_siblings(answer, [conversation]).passed


def test_vqa_asks_about_the_structure_whose_look_is_a_finding() -> None:
    # Two described structures, one of them abnormal (a pale cup is pallor): whichever wording the narration
    # picks, the question is about the cup, so pallor reaches a record. (Before: one of the two at random.)
    for i in range(8):
        cues = (
            "This slide shows one fundus photograph.",
            "Its cup is large and pale." + " " * i,
            "Only a thin rim of pink tissue is left around the cup.",
        )
        ctx = PairContext(f"p-cup-{i}", cues, "", modality="colour_fundus")
        question, answer = _vqa(ctx)
        assert "pale" in answer, (question, answer)


def test_cot_observation_does_not_restate_the_vqa_answer() -> None:
    # A terse narration: the VQA answers with the cue, and an observation in the cue's words would say it
    # again ("this OCT scan shows the dark cysts around the fovea and the macular edema"). The chain names
    # the findings without where they lie, the VQA keeps that, and the verifier's copy check passes.
    cues = ("A few dark cysts around the fovea.", "There is some macular edema.")
    ctx = PairContext("p-cme", cues, "", modality="oct")
    generator = OfflineCueGenerator()
    answer = generator.generate(ctx, "vqa").turns[1].text
    chain = generator.generate(ctx, "cot").turns[1].text
    observation = chain.splitlines()[0]
    assert "around the fovea" in answer and "around the fovea" not in chain, chain
    assert "dark cysts" in observation and "macular edema" in observation, observation
    assert cot_steps_distinct([chain], [answer]).passed
