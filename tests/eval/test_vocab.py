"""The evaluation's own vocabulary: terms found in either spelling, the longest match winning, negation and
hedges read, ground-truth names mapped; and the measuring modules import none of the engine's word lists."""

from __future__ import annotations

import ast
from pathlib import Path

from eval.quality import vocab
from eval.quality.vocab import DIAGNOSES, FINDINGS, MODALITIES, canonical, mentions, names, terms


def test_fold_joins_british_and_american_spelling() -> None:
    assert vocab.fold("Haemorrhage, oedema, colour, centre") == "hemorrhage, edema, color, center"


def test_mentions_keeps_the_longest_match_and_adds_parents() -> None:
    found = mentions("Flame haemorrhages lie around the disc.", FINDINGS)
    assert [m.term for m in found] == ["flame haemorrhages"]
    assert terms("Flame haemorrhages lie around the disc.", FINDINGS) == {"flame haemorrhages", "haemorrhage"}


def test_mentions_reads_negation_over_a_list() -> None:
    text = "There are no microaneurysms, hard exudates or cotton wool spots, but drusen are present."
    found = {m.term: m.negated for m in mentions(text, FINDINGS)}
    assert found == {
        "microaneurysms": True,
        "hard exudates": True,
        "cotton wool spots": True,
        "drusen": False,
    }
    assert terms(text, FINDINGS) == {"drusen"}


def test_mentions_reads_a_hedge_in_the_sentence() -> None:
    hedged = mentions("The cupping is consistent with glaucoma.", DIAGNOSES)
    stated = mentions("The patient has glaucoma. It is consistent with age.", DIAGNOSES)
    assert hedged[0].hedged and not stated[0].hedged


def test_canonical_maps_truth_names_and_keeps_unknown_ones_literal() -> None:
    assert canonical("dot_blot haemorrhages", FINDINGS) == {"dot-blot haemorrhages"}
    assert canonical("Hard exudates", FINDINGS) == {"hard exudates"}
    assert canonical("asteroid hyalosis", FINDINGS) == {"literal:asteroid hyalosis"}
    assert names("Asteroid hyalosis fills the vitreous.", "literal:asteroid hyalosis", FINDINGS)
    assert not names("The vitreous is clear.", "literal:asteroid hyalosis", FINDINGS)


def test_modalities_do_not_read_anatomy_as_a_picture_kind() -> None:
    assert terms("The fundus shows drusen at the macula.", MODALITIES) == set()
    assert terms("This fundus photograph shows drusen.", MODALITIES) == {"colour_fundus"}
    assert terms("The OCT B-scan shows fluid.", MODALITIES) == {"oct"}


def test_artefacts_spare_a_roman_numeral_grade() -> None:
    assert vocab.artefacts("Type I choroidal neovascularisation.") == []
    assert vocab.artefacts("I think this is drusen.") == ["first person"]


ENGINE_KNOWLEDGE = ("ophin.cues", "ophin.knowledge", "ophin.verification", "ophin.synthesis", "ophin.refine")
# planted.py and cue_accuracy.py exercise the engine's own checks and scorers: that is what they are for.
MEASURING = (
    "vocab",
    "truth",
    "records",
    "trainer",
    "grounding",
    "report",
    "transcription",
    "transcription_report",
)


def test_measuring_modules_import_no_engine_word_list() -> None:
    root = Path(vocab.__file__).parent
    for name in MEASURING:
        tree = ast.parse((root / f"{name}.py").read_text())
        imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if m.startswith(ENGINE_KNOWLEDGE)], (name, imported)
