"""Verification checks: grounding, leakage, length, well-formedness, and the duplicate fingerprint."""

from __future__ import annotations

import pytest

from ophin.synthesis.base import Turn
from ophin.verification.checks import CHECKS, CheckParams, check_instruction, content_words, fingerprint

CUES = (
    "Here you can see the optic disc with an enlarged cup.",
    "There are flame haemorrhages at the inferior disc margin.",
)
GOOD = (
    Turn("human", "What does this fundus photograph show?"),
    Turn(
        "gpt",
        "The optic disc with an enlarged cup. There are flame haemorrhages at the inferior disc margin.",
    ),
)


def _by_name(turns: tuple[Turn, ...], cues: tuple[str, ...] = CUES, **params: object) -> dict:
    results = check_instruction(turns, cues, CheckParams(**params))  # type: ignore[arg-type]
    assert [r.check for r in results] == list(CHECKS)
    return {r.check: r for r in results}


def test_check_instruction_passes_grounded_answer() -> None:
    results = _by_name(GOOD)
    assert all(r.passed for r in results.values()), results
    assert results["grounded"].score == 1.0


def test_check_instruction_fails_hallucinated_answer() -> None:
    hallucinated = (
        GOOD[0],
        Turn(
            "gpt",
            "Advanced glaucoma with a 0.9 cup; start latanoprost drops and "
            "recheck intraocular pressure in two weeks.",
        ),
    )
    grounded = _by_name(hallucinated)["grounded"]
    assert not grounded.passed
    assert grounded.score is not None and grounded.score < 0.6
    assert "'latanoprost'" in grounded.detail


def test_check_instruction_grounding_ignores_frames_digits_and_plurals() -> None:
    cot = (
        Turn("human", "Examine this image step by step."),
        Turn(
            "gpt",
            "Step 1: The optic disc with an enlarged cup.\nConclusion: Flame haemorrhage at the "
            "inferior disc margins.",
        ),
    )
    grounded = _by_name(cot)["grounded"]
    assert grounded.passed and grounded.score == 1.0


def test_check_instruction_grounding_threshold_is_a_parameter() -> None:
    partly = (GOOD[0], Turn("gpt", "The optic disc has an enlarged cup and a notch."))  # 'notch' unsupported
    result = _by_name(partly)["grounded"]
    assert result.score == pytest.approx(0.8)  # optic, disc, enlarged, cup found; notch not
    assert result.passed
    assert not _by_name(partly, min_grounding=0.85)["grounded"].passed


@pytest.mark.parametrize(
    ("phrase", "named"),
    [
        ("The speaker says", "the speaker"),
        ("As mentioned earlier", "as mentioned"),
        ("In this video", "in this video"),
        ("According to the transcript", "transcript"),
        ("Per the narrator", "narrator"),
        ("In this lecture", "this lecture"),
        ("The presenter notes", "the presenter"),
        ("He said", "he said"),
        ("Don't forget to subscribe", "subscribe"),
    ],
)
def test_check_instruction_flags_source_leakage(phrase: str, named: str) -> None:
    turns = (GOOD[0], Turn("gpt", f"{phrase}, the optic disc has an enlarged cup."))
    leakage = _by_name(turns)["no_leakage"]
    assert not leakage.passed
    assert f"'{named}'" in leakage.detail


def test_check_instruction_leakage_also_scans_questions() -> None:
    turns = (Turn("human", "What is shown in the video?"), GOOD[1])
    assert not _by_name(turns)["no_leakage"].passed


def test_check_instruction_checks_answer_length() -> None:
    short = (GOOD[0], Turn("gpt", "Enlarged cup."))
    result = _by_name(short)["length"]
    assert not result.passed and "13 chars (< 20)" in result.detail
    long = (GOOD[0], Turn("gpt", "The optic disc with an enlarged cup. " * 50))
    assert "(> 1500)" in _by_name(long)["length"].detail
    assert _by_name(long, max_answer_chars=5000)["length"].passed


@pytest.mark.parametrize(
    ("turns", "problem"),
    [
        ((), "no turns"),
        ((Turn("gpt", "The disc is pale."),), "expected 'human'"),
        ((GOOD[0], GOOD[1], GOOD[0]), "last turn"),
        ((GOOD[0], Turn("gpt", "  ")), "empty"),
        ((GOOD[0], GOOD[0]), "expected 'gpt'"),
    ],
)
def test_check_instruction_rejects_malformed_turns(turns: tuple[Turn, ...], problem: str) -> None:
    result = _by_name(turns)["well_formed"]
    assert not result.passed
    assert problem in result.detail


def test_check_params_validate_ranges() -> None:
    with pytest.raises(ValueError):
        CheckParams(min_answer_chars=100, max_answer_chars=10)
    with pytest.raises(ValueError):
        CheckParams(min_grounding=1.5)


def test_content_words_drops_stopwords_and_stems_plurals() -> None:
    assert content_words("The arteries are narrowed and the haemorrhages, 2 of them, are seen.") == [
        "artery",
        "narrowed",
        "haemorrhage",
    ]


def test_fingerprint_ignores_case_spacing_and_punctuation() -> None:
    variant = (
        Turn("human", "what does this  FUNDUS photograph show"),
        Turn(
            "gpt",
            "The optic disc, with an enlarged cup! There are flame haemorrhages at the inferior disc margin",
        ),
    )
    assert fingerprint(GOOD) == fingerprint(variant)
    assert len(fingerprint(GOOD)) == 64 and int(fingerprint(GOOD), 16) >= 0


def test_fingerprint_distinguishes_content_and_roles() -> None:
    changed = (GOOD[0], Turn("gpt", "The optic disc is pale."))
    swapped = (Turn("gpt", GOOD[0].text), Turn("human", GOOD[1].text))
    assert len({fingerprint(GOOD), fingerprint(changed), fingerprint(swapped)}) == 3


def test_check_reasoning_rejects_a_conclusion_that_repeats_its_only_step() -> None:
    from ophin.verification.checks import check_reasoning

    same = [
        Turn("human", "Examine this image."),
        Turn("gpt", "Step 1: Drusen are seen.\nConclusion: Drusen are seen."),
    ]
    real = [
        Turn("human", "Examine this image."),
        Turn("gpt", "Step 1: The cup is large.\nStep 2: The rim is thin.\nConclusion: The rim is thin."),
    ]
    bare = [Turn("human", "Examine this image."), Turn("gpt", "Drusen are seen.")]
    assert not check_reasoning(same).passed and "repeats" in check_reasoning(same).detail
    assert check_reasoning(real).passed and check_reasoning(real).score == 0.5
    assert not check_reasoning(bare).passed
