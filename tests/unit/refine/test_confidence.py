"""Doubtful words: a low-probability English word that sounds like a domain term is corrected or drops its
sentence; a confident word, or one that sounds like no term, stays. Sentences written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ophin.refine import build_refiner
from ophin.refine.base import HeardWord
from ophin.refine.confidence import align_words, refine_window, sounds_like
from ophin.refine.lexicon import LexiconRefiner, refiner_vocabulary
from ophin.refine.vocabulary import DEFAULT_WORDLISTS


@pytest.fixture(scope="module")
def refiner() -> LexiconRefiner:
    assert any(Path(p).is_file() for p in DEFAULT_WORDLISTS), "English word lists missing (make system-deps)"
    return LexiconRefiner()


def _heard(sentence: str, doubtful: dict[str, float]) -> list[tuple[str, float]]:
    """The sentence's words as a recogniser would give them: 0.95 each, except the doubtful ones."""
    return [(w, doubtful.get(w.strip(".,"), 0.95)) for w in sentence.split()]


def _one(refiner: LexiconRefiner, sentence: str, doubtful: dict[str, float]):  # noqa: ANN202
    return refine_window(refiner, [sentence], sentence, _heard(sentence, doubtful))[0]


def test_apply_uncertain_corrects_a_doubtful_word_that_sounds_like_one_term(refiner: LexiconRefiner) -> None:
    out = _one(refiner, "The corner looks hazy next to the iris.", {"corner": 0.2})
    assert out.text == "The cornea looks hazy next to the iris."
    assert out.dropped is None
    (c,) = out.corrections
    assert (c.rule, c.before, c.after, c.probability) == ("low-confidence", "corner", "cornea", 0.2)


@pytest.mark.parametrize(
    ("sentence", "word", "term"),
    [
        ("A dense grey haze fills the pupil behind the iris.", "dense", "druse"),
        ("The patient reports glare from the cornea at night.", "glare", "flare"),
    ],
)
def test_apply_uncertain_never_rewrites_a_real_word_a_sound_away(
    refiner: LexiconRefiner, sentence: str, word: str, term: str
) -> None:
    # "dense" / "druse" and "glare" / "flare" are one sound apart: the word is as likely said as misheard, and
    # the rewrite would state a finding nobody named. Doubted instead: the sentence is dropped, not guessed.
    out = _one(refiner, sentence, {word: 0.3})
    assert out.text == sentence and out.corrections == ()
    assert out.dropped is not None and f"'{word}'" in out.dropped and term in out.dropped


def test_apply_uncertain_rewrites_a_real_word_that_sounds_the_same(refiner: LexiconRefiner) -> None:
    out = _one(refiner, "A dark pit marks the foal centre of the macula.", {"foal": 0.1})
    assert out.text == "A dark pit marks the foveal centre of the macula." and out.dropped is None


def test_apply_uncertain_keeps_a_confident_real_word(refiner: LexiconRefiner) -> None:
    out = _one(refiner, "The corner looks hazy next to the iris.", {})
    assert out.text == "The corner looks hazy next to the iris."
    assert out.corrections == () and out.dropped is None


def test_apply_uncertain_drops_the_sentence_when_no_term_is_sure(refiner: LexiconRefiner) -> None:
    out = _one(refiner, "Look for loosen at the macula.", {"loosen": 0.1})
    assert out.text == "Look for loosen at the macula."  # not guessed
    assert out.dropped is not None and "'loosen'" in out.dropped and "drusen" in out.dropped


def test_a_doubt_cuts_only_its_own_part_of_a_sentence_that_stands_without_it(refiner: LexiconRefiner) -> None:
    sentence = "The disc shows marked cupping, with a large cup loosen most of it, and the rim is thin."
    out = _one(refiner, sentence, {"loosen": 0.1})
    assert out.dropped is None  # the findings around the doubt reach the cue scorer ...
    assert out.text == "The disc shows marked cupping, and the rim is thin."
    (c,) = out.corrections  # ... and the doubtful part is cut, recorded, never passed on
    assert (c.rule, c.before, c.after, c.probability) == (
        "doubt-cut",
        ", with a large cup loosen most of it",
        "",
        0.1,
    )


def test_a_doubt_drops_the_sentence_when_the_rest_was_heard_unsurely_too(refiner: LexiconRefiner) -> None:
    sentence = "The disc shows marked cupping, with a large cup loosen most of it, and the rim is thin."
    out = _one(refiner, sentence, {"loosen": 0.1, "rim": 0.2})  # errors come in stretches
    assert out.text == sentence and out.dropped is not None


def test_a_doubt_in_the_first_part_cuts_it_and_the_next_part_begins_the_sentence(
    refiner: LexiconRefiner,
) -> None:
    out = _one(refiner, "With loosen at the macula, the disc shows marked cupping.", {"loosen": 0.1})
    assert out.text == "The disc shows marked cupping." and out.dropped is None


@pytest.mark.parametrize(
    "sentence",
    [
        "Look for loosen at the macula.",  # one part: nothing stands without the doubt
        "Look for loosen at the macula, then.",  # what is left says too little
        "The disc shows marked cupping, with no loosen at the macula.",  # a denial is never cut away
        "The disc shows marked cupping, with 3 loosen at the macula.",  # nor a number
    ],
)
def test_a_doubt_drops_the_sentence_when_its_part_cannot_be_cut(
    refiner: LexiconRefiner, sentence: str
) -> None:
    out = _one(refiner, sentence, {"loosen": 0.1})
    assert out.text == sentence and out.dropped is not None and "'loosen'" in out.dropped


def test_apply_uncertain_leaves_a_doubtful_word_that_sounds_like_no_term(refiner: LexiconRefiner) -> None:
    out = _one(refiner, "She noticed blurred vision at the macula.", {"blurred": 0.05})
    assert out.text == "She noticed blurred vision at the macula." and out.dropped is None


def test_apply_uncertain_needs_a_clinical_context(refiner: LexiconRefiner) -> None:
    out = _one(refiner, "Meet me at the corner after lunch.", {"corner": 0.2})
    assert out.text == "Meet me at the corner after lunch." and out.dropped is None


def test_apply_uncertain_never_touches_a_negation_or_a_domain_word(refiner: LexiconRefiner) -> None:
    out = _one(refiner, "There is no fluid in the retina.", {"no": 0.1, "retina": 0.1, "fluid": 0.1})
    assert out.text == "There is no fluid in the retina." and out.dropped is None


def test_low_p_setting_changes_the_threshold_and_the_version() -> None:
    strict = LexiconRefiner(low_p=0.1)
    assert strict.version != LexiconRefiner().version
    out = _one(strict, "The corner looks hazy next to the iris.", {"corner": 0.2})
    assert out.text == "The corner looks hazy next to the iris."
    assert build_refiner("lexicon", low_p=0.1).version == strict.version


def test_sounds_like_separates_fix_doubt_and_nothing() -> None:
    vocab = refiner_vocabulary()
    fix, doubt = sounds_like(vocab, "corner"), sounds_like(vocab, "loosen")
    assert fix is not None and (fix.action, fix.term) == ("fix", "cornea")
    assert doubt is not None and (doubt.action, doubt.term) == ("doubt", "drusen")
    assert sounds_like(vocab, "blurred") is None
    assert sounds_like(vocab, "can") is None  # too short to judge


def test_align_words_maps_probabilities_onto_the_text_despite_punctuation() -> None:
    text = "Here, the disc is pale. It is cupped."
    heard = [("Here,", 0.9), ("the", 0.8), ("disc", 0.3), ("is", 0.9), ("pale.", 0.7), ("It", 0.9)]
    spans, after = align_words(text, heard)
    assert [text[w.start : w.end] for w in spans] == ["Here", "the", "disc", "is", "pale", "It"]
    assert spans[2] == HeardWord(10, 14, 0.3) and after == 6


def test_refine_window_follows_sentences_the_clause_splitter_rewrote(refiner: LexiconRefiner) -> None:
    # Heard as one run ("..., this patient"); scored as two sentences, the first ending in a new full stop.
    heard = _heard("The corner is scarred near the optic disc, this patient was seen.", {"corner": 0.2})
    text = "The corner is scarred near the optic disc, this patient was seen."
    first, second = refine_window(
        refiner, ["The corner is scarred near the optic disc.", "This patient was seen."], text, heard
    )
    assert first.text == "The cornea is scarred near the optic disc."
    assert second.text == "This patient was seen."


def test_refine_window_gives_each_sentence_its_own_words(refiner: LexiconRefiner) -> None:
    one, two = "The corner of the slit-lamp is clear.", "The corner is scarred."
    heard = _heard(one, {}) + _heard(two, {"corner": 0.2})
    first, second = refine_window(refiner, [one, two], f"{one} {two}", heard)
    assert first.text == one  # the same word, heard with confidence
    assert second.text == "The cornea is scarred."  # the first sentence is its clinical context


def test_apply_unknown_corrects_a_word_in_no_list_that_clearly_sounds_like_one_term(
    refiner: LexiconRefiner,
) -> None:
    out = refiner.refine("Hard exudats ring the fovea.")
    assert out.text == "Hard exudates ring the fovea." and out.dropped is None
    (c,) = out.corrections
    assert (c.rule, c.before, c.after) == ("sound-alike", "exudats", "exudates")


def test_apply_unknown_never_guesses_a_garbled_word_nor_drops_its_sentence(refiner: LexiconRefiner) -> None:
    # 5 letters from "subretinal" sounds close, but a guess would invent a finding: left as heard.
    out = refiner.refine("No disparatinal vessels arching around the macula.")
    assert out.text == "No disparatinal vessels arching around the macula." and out.corrections == ()
    # Kept: the finding beside a garbled word can still reach a record that leaves the word out.
    out = refiner.refine("A dark cystic space within the dinnerette, consistent with macular edema.")
    assert out.dropped is None and "dinnerette" in out.text


def test_apply_unknown_leaves_names_and_non_clinical_sentences(refiner: LexiconRefiner) -> None:
    assert refiner.refine("Dr. Chinger examined the fundus.").text == "Dr. Chinger examined the fundus."
    assert refiner.refine("We met at the exudats cafe after lunch.").corrections == ()  # nothing clinical


def test_sounds_like_needs_a_rival_to_sound_as_close_too() -> None:
    vocab = refiner_vocabulary()
    # "retinal" is as close in letters to "norretinal" but not in sound: no rival to "neuroretinal".
    assert sounds_like(vocab, "norretinal").action == "fix"


def test_apply_uncertain_never_doubts_a_grammar_word(refiner: LexiconRefiner) -> None:
    sentence = "The disc has a sharp margin, no this retinal vessels arching around the macula."
    out = _one(refiner, sentence, {"this": 0.01})  # "this" sounds like "ptosis", but is grammar
    assert out.dropped is None and out.text == sentence
