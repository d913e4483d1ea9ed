"""The rule-lexicon cue scorer: weights, explanations, and accuracy on unseen lecture narration."""

from __future__ import annotations

import pytest

from ophin.cues.base import CueContext, CueScorer
from ophin.cues.lexicon import TERMS, find_terms
from ophin.cues.rules import RuleCueScorer

# Narration as Whisper writes it: some punctuated, some lowercase with no punctuation at all.
VISUAL = [
    "The cup-to-disc ratio looks enlarged, around zero point seven.",
    "Several hard exudates are scattered temporal to the fovea.",
    "So here you can see a colour fundus photograph of the right eye.",
    "notice the flame shaped haemorrhages along the superior arcade",
    "On the OCT there is intraretinal fluid with a few cysts.",
    "the arterioles are narrowed and there's some av nicking",
    "There are multiple cotton wool spots around the disc.",
    "this is an oct scan through the fovea showing a normal contour",
    "The neuroretinal rim is thin inferiorly.",
    "You can see neovascularization at the disc.",
    "There is a large pigment epithelial detachment under the macula.",
    "the disc margins are blurred and the disc is elevated consistent with papilledema",
    "Look at this area of geographic atrophy.",
    "The retinal veins are dilated and tortuous.",
    "what you're seeing here is an epiretinal membrane wrinkling the inner retina",
    "In the late phase of the angiogram the dye pools within the PED.",
    "there's a horseshoe tear superotemporally with subretinal fluid",
    "These yellow deposits at the posterior pole are drusen.",
    "the ellipsoid zone is disrupted beneath the fovea",
    "This is a classic example of central retinal vein occlusion.",
]
NON_VISUAL = [
    "Diabetic retinopathy is the leading cause of blindness in working-age adults.",
    "Glaucoma affects around 80 million people worldwide.",
    "Risk factors include age, family history and high myopia.",
    "The patient was referred by her optometrist.",
    "He has a history of hypertension and type two diabetes.",
    "Anti-VEGF injections are the mainstay of treatment for wet AMD.",
    "Drusen are deposits of extracellular material between the RPE and Bruch's membrane.",
    "OCT is a non-invasive imaging technique that uses light.",
    "patients with diabetes should have their eyes screened every year",
    "macular degeneration affects central vision",
    "Glaucoma is a chronic progressive optic neuropathy.",
    "There are many causes of optic disc swelling.",
    "she complained of blurred vision for two weeks",
    "the prevalence increases with age",
]
CHIT_CHAT = [
    "Please like and subscribe.",
    "Welcome back to the channel.",
    "Thank you so much for watching.",
    "Today we are going to talk about diabetic eye disease.",
    "In this lecture I will cover the basics of glaucoma.",
    "My name is Dr. Smith and I am a retina specialist.",
    "hello everyone and welcome to my channel",
    "see you in the next video",
    "okay so let's get started",
    "If you have any questions leave them in the comments below.",
]


def test_score_one_reaches_accuracy_on_unseen_narration() -> None:
    scorer = RuleCueScorer()
    labelled = [(s, True) for s in VISUAL] + [(s, False) for s in NON_VISUAL + CHIT_CHAT]
    verdicts = scorer.score([s for s, _ in labelled])
    wrong = [
        (v.sentence, v.score, v.reason)
        for v, (_, label) in zip(verdicts, labelled, strict=True)
        if v.is_visual != label
    ]
    accuracy = 1 - len(wrong) / len(labelled)
    assert accuracy >= 0.9, wrong


def test_score_one_never_marks_chit_chat_visual() -> None:
    scorer = RuleCueScorer()
    false_positives = [v for v in scorer.score(CHIT_CHAT) if v.is_visual]
    assert false_positives == []


def test_score_one_reason_lists_each_contribution() -> None:
    verdict = RuleCueScorer().score_one("Here you can see the optic disc and the macula on this OCT scan.")
    assert verdict.is_visual
    assert verdict.score == 1.0  # 0.45 + 0.1 + 0.35 + 0.15 clipped
    assert "finding 'optic disc' (+0.45)" in verdict.reason
    assert "extra finding 'macula' (+0.10)" in verdict.reason
    assert "deictic 'here', 'you can see'" in verdict.reason
    assert "modality 'OCT scan' (+0.15)" in verdict.reason


def test_score_one_applies_exact_weights() -> None:
    scorer = RuleCueScorer()
    assert scorer.score_one("The optic disc is the exit of the nerve.").score == pytest.approx(0.45)
    # Three distinct findings: +0.45 then +0.1 each.
    assert scorer.score_one("The optic disc, macula and arteries are there.").score == pytest.approx(0.65)
    # Extra findings are capped at +0.2 however many there are.
    many = "The optic disc, macula, arteries, veins and drusen are there."
    assert scorer.score_one(many).score == pytest.approx(0.65)
    assert scorer.score_one("We can then see what happens.").score == pytest.approx(0.35)
    assert scorer.score_one("This is the OCT.").score == pytest.approx(0.50)


def test_score_one_caps_negative_cues() -> None:
    sentence = "Welcome, thank you, and please subscribe to see the optic disc here."
    verdict = RuleCueScorer().score_one(sentence)
    assert "(-0.60)" in verdict.reason
    assert verdict.score == pytest.approx(0.45 + 0.35 - 0.6)
    assert not verdict.is_visual


def test_score_one_penalises_short_sentences() -> None:
    verdict = RuleCueScorer().score_one("Drusen.")
    assert verdict.score == pytest.approx(0.15)
    assert "short (1 word) (-0.30)" in verdict.reason
    pointed = RuleCueScorer().score_one("Drusen seen here.")
    assert pointed.score == pytest.approx(0.45 + 0.35 - 0.3)
    assert "short (3 words)" in pointed.reason


def test_score_one_clips_to_unit_interval() -> None:
    scorer = RuleCueScorer()
    assert scorer.score_one("Thanks, bye.").score == 0.0
    assert scorer.score_one("ok").score == 0.0


def test_score_one_ignores_diagnosis_names_without_a_deictic() -> None:
    scorer = RuleCueScorer()
    plain = scorer.score_one("Central retinal vein occlusion is more common in older people.")
    pointed = scorer.score_one("This is a central retinal vein occlusion.")
    assert plain.score == 0.0
    assert "without deictic" in plain.reason
    assert pointed.is_visual


def test_score_one_matches_british_and_american_spellings() -> None:
    scorer = RuleCueScorer()
    for sentence in (
        "The haemorrhage is visible.",
        "The hemorrhage is visible.",
        "There is macular oedema here.",
        "There is macular edema here.",
        "The nerve fibre layer is thin.",
        "The nerve fiber layer is thin.",
    ):
        assert scorer.score_one(sentence).is_visual, sentence


def test_score_one_respects_threshold() -> None:
    sentence = "The optic disc is the exit of the nerve."
    assert RuleCueScorer(threshold=0.4).score_one(sentence).is_visual
    assert not RuleCueScorer(threshold=0.5).score_one(sentence).is_visual
    with pytest.raises(ValueError, match="threshold"):
        RuleCueScorer(threshold=1.5)


def test_score_is_deterministic_and_satisfies_protocol() -> None:
    scorer: CueScorer = RuleCueScorer()
    assert scorer.name == "rule-lexicon" and scorer.version.startswith("4.")
    sentences = VISUAL + NON_VISUAL
    assert scorer.score(sentences) == RuleCueScorer().score(sentences)
    assert [v.sentence for v in scorer.score(sentences)] == sentences


def test_find_terms_prefers_the_longest_overlapping_term() -> None:
    matches = find_terms("A cup to disc ratio of 0.8 and a macular hole.", TERMS)
    found = [(m.term.label, m.text) for m in matches]
    assert found == [("cup-to-disc ratio", "cup to disc ratio"), ("hole", "macular hole")]


# A finding sentence whose finding word was misheard keeps only its anatomy or appearance words.
_GARBLED = [
    "Many small yellow mumps are scattered around.",
    "There are bruises spread over the macula.",
    "They sit along the lower arcade near the vessels.",
]
_VISUAL_NEIGHBOUR = "Several hard exudates are scattered temporal to the fovea."


@pytest.mark.parametrize("sentence", _GARBLED)
def test_score_keeps_a_garbled_finding_sentence_in_a_visual_window(sentence: str) -> None:
    alone = RuleCueScorer().score([sentence])[0]
    window = RuleCueScorer().score(
        [_VISUAL_NEIGHBOUR, sentence], CueContext(f"{_VISUAL_NEIGHBOUR} {sentence}")
    )[1]
    assert not alone.is_visual, alone
    assert window.is_visual and "visual window" in window.reason, window


@pytest.mark.parametrize("sentence", _GARBLED)
def test_score_gives_no_window_credit_when_no_other_sentence_is_visual(sentence: str) -> None:
    talk = "We will repeat the examination in three months."
    verdict = RuleCueScorer().score([talk, sentence], CueContext(f"{talk} {sentence}"))[1]
    assert not verdict.is_visual and "visual window" not in verdict.reason, verdict


@pytest.mark.parametrize("sentence", NON_VISUAL + CHIT_CHAT)
def test_score_gives_no_window_credit_to_disease_talk(sentence: str) -> None:
    verdict = RuleCueScorer().score(
        [_VISUAL_NEIGHBOUR, sentence], CueContext(f"{_VISUAL_NEIGHBOUR} {sentence}")
    )[1]
    assert not verdict.is_visual, verdict


def test_score_one_never_takes_a_question_for_a_description() -> None:
    """'Where is the fluid? There is subretinal fluid under the fovea.': the question became an answer."""
    scorer = RuleCueScorer()
    for question in ("Where is the fluid?", "Where is the fluid", "Is there any fluid under the fovea?"):
        verdict = scorer.score_one(question)
        assert not verdict.is_visual and "a question" in verdict.reason, question
    for description in ("There is subretinal fluid under the fovea.", "What we see here is a pale disc."):
        assert scorer.score_one(description).is_visual, description


def test_a_negative_word_inside_a_finding_name_is_no_negative() -> None:
    # "injection" is treatment talk ("an injection into the eye") unless it is the finding's own name.
    seen, given = RuleCueScorer().score(
        ["The conjunctiva is red, with marked conjunctival injection.", "He had an injection into the eye."],
        CueContext("", None),
    )
    assert seen.is_visual and "negative" not in seen.reason, seen.reason
    assert not given.is_visual and "negative 'injection'" in given.reason, given.reason
