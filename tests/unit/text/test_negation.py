"""The one negation module: is_negated (NegEx scope) and denies_claim (an answer's claims), side by side."""

from __future__ import annotations

import pytest

from ophin.text.negation import denies_claim, is_negated


def _span(sentence: str, words: str) -> tuple[int, int]:
    start = sentence.index(words)
    return start, start + len(words)


def _negated(sentence: str, words: str) -> bool:
    return is_negated(sentence, *_span(sentence, words))


def _denied(sentence: str, words: str, *others: str) -> bool:
    return denies_claim(sentence, *_span(sentence, words), [_span(sentence, o) for o in others])


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("there are no drusen", "drusen"),
        ("haemorrhages are not seen", "haemorrhages"),
        ("the retina is free of fluid", "fluid"),
        ("no drusen or haemorrhages", "haemorrhages"),
        ("the fluid has resolved", "fluid"),
        ("the disc doesn't look swollen", "swollen"),
    ],
)
def test_is_negated_sees_a_denial(sentence: str, words: str) -> None:
    assert _negated(sentence, words)


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("no change in the drusen", "drusen"),  # the drusen are there
        ("not only drusen but also exudates", "drusen"),
        ("glaucoma cannot be ruled out", "glaucoma"),
        ("there are no drusen but there are exudates", "exudates"),  # a contrast ends the scope
        ("no drusen; the disc is swollen", "swollen"),
        ("the disc is normal", "disc"),  # "normal" is no denial in this reading
        ("a normal macula", "macula"),
    ],
)
def test_is_negated_refuses_what_is_no_denial(sentence: str, words: str) -> None:
    assert not _negated(sentence, words)


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("there are no drusen", "drusen"),
        ("haemorrhages are not seen", "haemorrhages"),
        ("the disc is normal", "disc"),  # CLAIM_DENIALS: a normal structure denies a finding there
        ("a normal macula", "macula"),
        ("the optic disc and the macula look healthy", "optic disc"),
        ("Bruch's membrane isn't thickened", "thickened"),
    ],
)
def test_denies_claim_sees_a_denial(sentence: str, words: str) -> None:
    assert _denied(sentence, words)


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("not only drusen but also exudates", "drusen"),
        ("glaucoma cannot be ruled out", "glaucoma"),
        ("the disc is pale and the macula is normal", "disc"),  # a later verb's "normal" is the macula's
        ("no drusen; the disc is swollen", "disc"),
        ("no drusen, the disc is swollen", "disc"),
    ],
)
def test_denies_claim_refuses_what_is_no_denial(sentence: str, words: str) -> None:
    assert not _denied(sentence, words)


def test_denies_claim_closes_the_scope_at_a_later_verb() -> None:
    sentence = "no haemorrhages are seen, drusen are present"
    assert _denied(sentence, "drusen")  # told nothing of the other terms, the "no" reaches the drusen
    assert not _denied(sentence, "drusen", "haemorrhages")
    assert _denied(sentence, "haemorrhages", "haemorrhages", "drusen")


def test_neither_reading_takes_no_change_for_a_denial() -> None:
    assert not _denied("no change in the drusen", "drusen")
    assert _denied("no drusen", "drusen")
    assert not is_negated("no change in the drusen", 17)
