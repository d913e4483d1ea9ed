"""The lexicon refiner on sentences written for these tests: each rule corrects, declines, and keeps facts."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

from ophin.refine import build_refiner
from ophin.refine.base import Refined, apply_corrections
from ophin.refine.lexicon import LexiconRefiner, refiner_vocabulary
from ophin.refine.vocabulary import (
    DEFAULT_WORDLISTS,
    EnglishWords,
    Vocabulary,
    expand_pattern,
    load_terms_file,
    osa_distance,
    phonetic_key,
)


@pytest.fixture(scope="module")
def refiner() -> LexiconRefiner:
    assert any(Path(p).is_file() for p in DEFAULT_WORDLISTS), (
        "English word lists missing: `make system-deps` installs wamerican-large and wbritish-large"
    )
    return LexiconRefiner()


def _check(refiner: LexiconRefiner, sentence: str, context: str = "") -> Refined:
    """Refine, and check what must hold for every sentence: offsets point at the raw text, splicing the
    corrections gives the text, and refining the result changes nothing."""
    out = refiner.refine(sentence, context)
    assert out.raw == sentence
    for c in out.corrections:
        assert sentence[c.start : c.end] == c.before
    assert apply_corrections(sentence, out.corrections) == out.text
    assert refiner.refine(out.text, context).corrections == ()
    return out


CORRECTED = [
    # spacing
    (
        "spacing",
        "The fluid looks sub -retinal on this scan.",
        "",
        "The fluid looks sub-retinal on this scan.",
    ),
    ("spacing", "A large cup -to -disc ratio is seen.", "", "A large cup-to-disc ratio is seen."),
    ("spacing", "The ratio measures 0 .65 in this eye.", "", "The ratio measures 0.65 in this eye."),
    ("spacing", "Acuity is 6 / 18 in the left eye .", "", "Acuity is 6/18 in the left eye."),
    ("spacing", "A 70 -year -old woman with drusen.", "", "A 70-year-old woman with drusen."),
    (
        "spacing",
        "It shows non -proliferative changes , sadly.",
        "",
        "It shows non-proliferative changes, sadly.",
    ),
    # misheard (each needs an ophthalmic cue outside the heard words)
    ("misheard", "The fovee looks flat on this OCT.", "", "The fovea looks flat on this OCT."),
    ("misheard", "There is maculars oedema on the scan.", "", "There is macular oedema on the scan."),
    ("misheard", "The maculars is thickened on the OCT.", "", "The macula is thickened on the OCT."),
    ("misheard", "This slit length view shows the cornea.", "", "This slit-lamp view shows the cornea."),
    ("misheard", "Brooks membrane lies beneath the RPE.", "", "Bruch's membrane lies beneath the RPE."),
    ("misheard", "The OCD scan shows subretinal fluid.", "", "The OCT scan shows subretinal fluid."),
    ("misheard", "Small drusin sit under the macula.", "", "Small drusen sit under the macula."),
    (
        "misheard",
        "A ring of heart exudates circles the fovea.",
        "",
        "A ring of hard exudates circles the fovea.",
    ),
    (
        "misheard",
        "Dot and blood haemorrhages in all quadrants.",
        "",
        "Dot and blot haemorrhages in all quadrants.",
    ),
    ("misheard", "This piece can crosses the fovea.", "", "This B-scan crosses the fovea."),
    # vocabulary (not English, not a known term; closest term is unambiguous; a cue is present)
    ("vocabulary", "The retnal vessels are tortuous.", "", "The retinal vessels are tortuous."),
    ("vocabulary", "A choroidel naevus near the disc.", "", "A choroidal naevus near the disc."),
    (
        "vocabulary",
        "The vitrious cavity is clear here.",
        "The retina is flat.",
        "The vitreous cavity is clear here.",
    ),
    ("vocabulary", "Note the papillo edema of the disc.", "", "Note the papilloedema of the disc."),
    ("vocabulary", "Gonioscapy shows an open angle.", "The iris is flat.", "Gonioscopy shows an open angle."),
    # a word Whisper split into hyphenated syllables is judged as one group
    (
        "vocabulary",
        "Look at the neo-vasculer-ization fronds on the disc.",
        "",
        "Look at the neovascularization fronds on the disc.",
    ),
    (
        "vocabulary",
        "Many cotton-wool-spotts near the arcades.",
        "",
        "Many cotton wool spots near the arcades.",
    ),
    # context (English words that are mis-hearings only here, with guards)
    (
        "context",
        "Yellow bumps here are bruising.",
        "The macula is on the right.",
        "Yellow bumps here are drusen.",
    ),
    ("context", "Injected vessels cross the white clear.", "", "Injected vessels cross the white sclera."),
    ("context", "The people is dilated and fixed.", "The iris is brown.", "The pupil is dilated and fixed."),
    # sound-alike phrase: real words that together sound like one multi-word term
    (
        "sound-alike phrase",
        "The large cup and the flame hammerages above it stand out.",
        "",
        "The large cup and the flame haemorrhages above it stand out.",
    ),
    (
        "sound-alike phrase",
        "Hard and exudates form a ring.",
        "Look at the macula.",
        "Hard exudates form a ring.",
    ),
    (
        "sound-alike phrase",
        "Just above the disc, frame hemorrhages streak along the nerve fibers.",
        "",
        "Just above the disc, flame hemorrhages streak along the nerve fibers.",
    ),
]


@pytest.mark.parametrize(("rule", "sentence", "context", "expected"), CORRECTED)
def test_refine_corrects_each_rule(
    refiner: LexiconRefiner, rule: str, sentence: str, context: str, expected: str
) -> None:
    out = _check(refiner, sentence, context)
    assert out.text == expected
    assert {c.rule for c in out.corrections} == {rule}


UNCHANGED = [
    "There was bruising of the eyelid after trauma.",
    "Bruising around the orbit followed a fall; the retina was normal.",
    "The people are waiting outside the eye clinic.",
    "The fluid was white, clear and watery.",
    "The lens is white clear and the vitreous is quiet.",
    "There is no -obvious leakage on the angiogram.",  # nothing to join: left as heard
    "The fovee was mentioned.",  # the mis-hearing is its only cue
    "This retnal thing was odd.",  # no ophthalmic cue at all
    "Patients receive Lucentis or Eylea for neovascular AMD.",
    "Professor Kestenbaum described this fundus in 1961.",
    "We saw metamorphopsia and a paracentral scotoma on the Amsler grid.",
    "The hyporeflective space sits above the RPE on OCT.",
    "Patients with OCD are often anxious about their eyes.",
    "Exotropia and esotropia are types of strabismus.",
    "There is no drusen, no haemorrhage and no fluid at 6 months.",
    "An intraretinal cyst measuring 250 microns is seen.",
    "Gonna show you the optic disc now, okay?",
    "A ranibizumab-treated eye with hyalosis-like opacities in the vitreous.",
    "A stargardt-like macula on the OCT.",
    "The blood vessels of the retina look normal.",  # 'blood' before anything but haemorrhage stays
    "A heart attack is a risk in retinal artery occlusion.",
    # real modifiers as near to a term as a mishearing: the sound-alike phrase rule leaves them
    "In this fundus photo, the macular sits in the middle of the image.",  # not 'macular star'
    "These bumps are drusen, the hallmark of early macular degeneration.",  # not 'age-related'
    "This first photograph has no haemorrhages.",  # not 'fundus photograph'
    "Flame haemorrhages lie along the upper and lower vessel arcades.",  # not 'vascular arcades'
    "Picture two has cysts inside the retina.",  # not 'inner retina'
    "The nerve fibre layer is thin on OCT.",  # a spelling is no mishearing, and a term is never lengthened
    "The streaky flame haemorrhages follow the nerve fibres.",
]


@pytest.mark.parametrize("sentence", UNCHANGED)
def test_refine_leaves_correct_or_unsure_text_alone(refiner: LexiconRefiner, sentence: str) -> None:
    out = _check(refiner, sentence)
    assert out.corrections == ()
    assert out.text == sentence


def test_refine_keeps_numbers_and_negations(refiner: LexiconRefiner) -> None:
    raw = "There is no drusin and not a single retnal bleed at 3 .5 mm, 20 / 200 vision."
    out = _check(refiner, raw)
    assert out.text == "There is no drusen and not a single retinal bleed at 3.5 mm, 20/200 vision."
    digits = [ch for ch in raw if ch.isdigit()]
    assert [ch for ch in out.text if ch.isdigit()] == digits
    assert out.text.split().count("no") == 1 and out.text.split().count("not") == 1


def test_refine_offsets_point_at_raw_text_across_passes(refiner: LexiconRefiner) -> None:
    raw = "Intra -retinal fluid , fovee and maculars oedema on the OCT ."
    out = _check(refiner, raw)
    assert [(c.rule, c.before, c.after) for c in out.corrections] == [
        ("spacing", " -", "-"),
        ("spacing", " ", ""),
        ("misheard", "fovee", "fovea"),
        ("misheard", "maculars", "macular"),
        ("spacing", " ", ""),
    ]
    assert out.text == "Intra-retinal fluid, fovea and macular oedema on the OCT."


def test_refine_keeps_case_of_what_was_heard(refiner: LexiconRefiner) -> None:
    assert _check(refiner, "Fovee on this OCT scan.").text == "Fovea on this OCT scan."
    assert _check(refiner, "RETNAL VESSELS on the fundus.").corrections == ()  # shouting: left alone


def test_refine_uses_context_only_for_cues(refiner: LexiconRefiner) -> None:
    sentence = "The maculars look normal."
    assert _check(refiner, sentence).corrections == ()
    out = _check(refiner, sentence, context="The optic disc is pink. The maculars look normal.")
    assert out.text == "The macula look normal."
    # The sentence itself inside the context does not count as its own cue.
    assert _check(refiner, sentence, context=sentence).corrections == ()


def test_refine_context_rule_vetoed_by_context(refiner: LexiconRefiner) -> None:
    out = _check(refiner, "Yellow bumps here are bruising.", context="He hit his eyelid; the macula is fine.")
    assert out.corrections == ()


def test_refine_none_backend_and_empty_text(refiner: LexiconRefiner) -> None:
    assert build_refiner("none").refine("the fovee").text == "the fovee"
    assert build_refiner("none").refine("the fovee").corrections == ()
    assert _check(refiner, "").text == ""
    assert isinstance(build_refiner("lexicon"), LexiconRefiner)
    with pytest.raises(ValueError, match="unknown refiner backend"):
        build_refiner("whisper-large")


def test_version_changes_with_data() -> None:
    english = EnglishWords(frozenset({"the", "is"}), "test")
    a = LexiconRefiner(Vocabulary(["retina", "drusen"], english))
    b = LexiconRefiner(Vocabulary(["retina", "drusen", "fovea"], english))
    assert a.version != b.version
    assert a.version == LexiconRefiner(Vocabulary(["drusen", "retina"], english)).version
    assert LexiconRefiner().name == "lexicon-refiner"


def test_vocabulary_rule_off_without_word_lists() -> None:
    vocab = Vocabulary(load_terms_file(), EnglishWords(frozenset(), "none"))
    out = LexiconRefiner(vocab).refine("The retnal vessels are tortuous , see .")
    assert [c.rule for c in out.corrections] == ["spacing", "spacing"]


def test_vocabulary_helpers() -> None:
    assert osa_distance("retnal", "retinal") == 1
    assert osa_distance("fovae", "fovea") == 1  # a transposition is one edit
    assert phonetic_key("conductival") == "KNTKTFL"
    assert phonetic_key("drusen") == phonetic_key("trusen")  # voicing pairs share a code
    assert expand_pattern("dis[ck]s?") == ["disc", "discs", "disk", "disks"]
    assert expand_pattern("blood(?= (?:in|under))") == ["blood"]
    assert expand_pattern(r"toxo\w*|uveitis") == ["uveitis"]
    vocab = refiner_vocabulary()
    assert vocab.is_word("hyporeflective")  # prefix + English word
    assert vocab.is_word("drusen") and not vocab.is_word("fovee")  # the lexicon's tolerated mis-hearing


def test_refine_is_fast(refiner: LexiconRefiner) -> None:
    sentences = [s for _, s, _, _ in CORRECTED] + UNCHANGED
    sentences = [f"{s} Case {i}." for i in range(10) for s in sentences]  # distinct strings
    start = time.perf_counter()
    for s in sentences:
        refiner.refine(s, "The optic disc is pink.")
    per_sentence_ms = (time.perf_counter() - start) / len(sentences) * 1000
    assert per_sentence_ms < 5  # about 0.2-0.4 ms measured; generous for a busy CI machine


def test_refine_merges_a_later_pass_that_encloses_an_earlier_fix(refiner: LexiconRefiner) -> None:
    # Pass 1 fixes "maculars" -> "macular"; pass 2 glues "papillo macular" into one term.
    out = _check(refiner, "The papillo maculars bundle is thin on OCT.")
    assert out.text == "The papillomacular bundle is thin on OCT."
    assert [(c.rule, c.before, c.after) for c in out.corrections] == [
        ("vocabulary", "papillo maculars", "papillomacular")
    ]


def test_refine_invariants_hold_on_random_word_salad(refiner: LexiconRefiner) -> None:
    pool = (
        "the a no not non without fovee maculars retnal vitrious bruising bumps yellow white clear people is "
        "dilated slit length OCD scan drusin brooks membrane cotton wall intra sub -retinal -to -disc cup "
        "ratio 0 .8 20 / 40 , . ; pig-ment-epitheelial papillo edema disc optic macula retina fluid Fovee "
        "RPE OCT and with 65 -year -old ( ) % eye eyelid trauma kestenbaum lucentis"
    ).split()
    rng = random.Random(7)
    for _ in range(400):
        raw = " ".join(rng.choice(pool) for _ in range(rng.randint(1, 14)))
        context = " ".join(rng.choice(pool) for _ in range(rng.randint(0, 8)))
        out = _check(refiner, raw, context)
        assert re.findall(r"\d", out.text) == re.findall(r"\d", raw)
        negations = {"no", "not", "non", "without"}
        assert [w for w in re.findall(r"[a-z]+", out.text.lower()) if w in negations] == [
            w for w in re.findall(r"[a-z]+", raw.lower()) if w in negations
        ]
