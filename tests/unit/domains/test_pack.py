"""Domain packs: the shipped one loads and validates; a broken pack is refused naming its file and field;
OPHIN_DOMAIN switches the engine's lexicon to another pack without touching engine code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ophin.domains.pack import DomainPack, DomainPackError, available, current, load

LEXICON = {
    "placeholders": {"SEP": r"[\s-]*"},
    "anatomy": {"epidermis": ["epiderm(?:is|al)"], "dermis": ["dermis", "dermal"]},
    "findings": {"scale": ["scal(?:e|es|y|ing)"], "plaque": ["plaques?"]},
    "diagnoses": {"psoriasis": ["psoria(?:sis|tic)"]},
    "modalities": {"dermoscopy": ["dermo{_SEP}scop(?:y|ic)"]},
    "frame_modalities": {"dermoscopy": "dermoscopy"},
    "deictic": {"see": ["you can see"]},
    "negative": {"epidemiology": ["prevalence"]},
}
RELATIONS = {
    "citations": {"bolognia": "Bolognia JL et al. Dermatology, 4th ed. Elsevier, 2018, chapter 'Psoriasis'."},
    "relations": [
        {
            "finding": "silvery scale on a plaque",
            "indicates": "psoriasis",
            "statement": "Well-demarcated plaques with silvery scale are typical of psoriasis.",
            "source": "bolognia",
            "labels": ["scale", "plaque"],
            "modality": "dermoscopy",
        }
    ],
}


RULE = {"heard": "(?P<w>wheel)", "said": "wheal", "needs": "skin", "vetoes": "car"}
REFINER = {
    "misheard": [{"heard": "sorr?iasis", "said": "psoriasis", "note": "the silent p"}],
    "context_rules": [RULE],
    "combining_forms": ["dermato"],
}
WORDING = {"acronyms": ["bcc"], "plural_nouns": ["milia"], "soft_findings": ["scale"]}


def write_pack(
    folder: Path, lexicon: dict | None = None, relations: dict | None = None, **others: dict
) -> Path:
    """A pack of three files; others: more files, by stem (refiner=..., wording=...)."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"title": "Dermatology", "query_template": "{term} dermatology", "tags": ["medical"]}
    (folder / "pack.json").write_text(json.dumps(manifest))
    (folder / "lexicon.json").write_text(json.dumps(LEXICON if lexicon is None else lexicon))
    (folder / "relations.json").write_text(json.dumps(RELATIONS if relations is None else relations))
    for stem, data in others.items():
        (folder / f"{stem}.json").write_text(json.dumps(data))
    return folder


def test_the_shipped_pack_loads_and_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPHIN_DOMAIN", raising=False)
    pack = load("ophthalmology")
    assert "ophthalmology" in available() and current() is pack
    assert len(pack.knowledge.relations) >= 50 and "fovea" in pack.lexicon.anatomy
    assert all(r.source in pack.knowledge.citations for r in pack.knowledge.relations)
    assert pack.lines("taxonomy", "conditions.txt")[0]


def test_a_small_pack_of_ones_own_loads(tmp_path: Path) -> None:
    pack = DomainPack("dermatology", write_pack(tmp_path / "derm"))
    assert pack.lexicon.expand("dermo{_SEP}scopy") == r"dermo[\s-]*scopy"


@pytest.mark.parametrize(
    ("lexicon", "relations", "says"),
    [
        ({**LEXICON, "findings": {"scale": ["scal(e"]}}, None, "scal(e"),
        ({**LEXICON, "findings": {"scale": ["{_GAP}scale"]}}, None, "unknown placeholder"),
        ({**LEXICON, "findings": {"scale": []}}, None, "no pattern"),
        ({**LEXICON, "frame_modalities": {"oct": "oct"}}, None, "lacks"),
        ({**LEXICON, "findngs": {}}, None, "findngs"),
        ({**LEXICON, "frame_modality_words": {"oct": ["oct"]}}, None, "lacks"),
        ({**LEXICON, "label_families": [["plaque", "drusen"]]}, None, "drusen"),
        (None, {**RELATIONS, "citations": {}}, "bolognia"),
        (None, {**RELATIONS, "relations": [{**RELATIONS["relations"][0], "labels": ["drusen"]}]}, "drusen"),
        (None, {**RELATIONS, "relations": [{**RELATIONS["relations"][0], "requires": ["(?"]}]}, "relations"),
    ],
)
def test_a_broken_pack_is_refused_naming_what_broke(
    tmp_path: Path, lexicon: dict | None, relations: dict | None, says: str
) -> None:
    with pytest.raises(DomainPackError) as refused:
        DomainPack("broken", write_pack(tmp_path / "broken", lexicon, relations))
    assert says in str(refused.value)


def test_a_packs_refiner_and_wording_files_load(tmp_path: Path) -> None:
    pack = DomainPack("derm", write_pack(tmp_path / "derm", refiner=REFINER, wording=WORDING))
    assert pack.refiner.misheard[0].said == "psoriasis" and pack.refiner.context_rules[0].vetoes == "car"
    assert pack.wording.soft_findings == ["scale"]
    bare = DomainPack("bare", write_pack(tmp_path / "bare"))  # both files may be left out: nothing to know
    assert bare.refiner.misheard == [] and bare.wording.acronyms == []


@pytest.mark.parametrize(
    ("others", "says"),
    [
        ({"refiner": {**REFINER, "misheard": [{"heard": "sor(iasis", "said": "psoriasis"}]}}, "sor(iasis"),
        ({"refiner": {**REFINER, "misheard": [{"heard": "x", "said": "y", "sayd": "z"}]}}, "sayd"),
        ({"refiner": {**REFINER, "context_rules": [{**RULE, "needs": "[a"}]}}, "[a"),
        ({"refiner": {**REFINER, "context_rules": [{**RULE, "heard": "wheel"}]}}, "(?P<w>"),
        ({"refiner": {**REFINER, "prefixes": ["dermato"]}}, "prefixes"),
        ({"wording": {**WORDING, "acronyms": ["b(cc"]}}, "b(cc"),
        ({"wording": {**WORDING, "plurals": ["milia"]}}, "plurals"),
        ({"wording": {**WORDING, "soft_findings": ["drusen"]}}, "drusen"),
        ({"phi": {"possessions": ["skin", "mole(s"]}}, "mole(s"),
        ({"phi": {"eponym_tail": ["naevus"]}}, "eponym_tail"),
    ],
)
def test_a_broken_refiner_or_wording_file_is_refused_naming_it(
    tmp_path: Path, others: dict, says: str
) -> None:
    with pytest.raises(DomainPackError) as refused:
        DomainPack("broken", write_pack(tmp_path / "broken", **others))
    assert says in str(refused.value) and f"{next(iter(others))}.json" in str(refused.value)


def test_placeholder_spellings_name_only_placeholders(tmp_path: Path) -> None:
    lexicon = {**LEXICON, "placeholder_spellings": {"GAP": " "}}
    with pytest.raises(DomainPackError, match="placeholder_spellings"):
        DomainPack("broken", write_pack(tmp_path / "broken", lexicon))


def test_a_list_file_skips_comments_whole_line_or_inline(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "derm")
    (folder / "words.txt").write_text("# the pack's words\n\nPlaque  # raised, > 1 cm\n  papule\n#\n")
    assert DomainPack("derm", folder).lines("words.txt") == ("Plaque", "papule")


def test_an_unknown_pack_is_refused_listing_the_packs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPHIN_DOMAIN", "cardiology")
    with pytest.raises(DomainPackError, match="ophthalmology"):
        current()
    monkeypatch.setenv("OPHIN_DOMAIN", "../etc")
    with pytest.raises(DomainPackError, match="no such folder"):
        current()


def test_ophin_domain_switches_the_engines_lexicon_and_relations(tmp_path: Path) -> None:
    """The seam: the cue lexicon and the relations come from the pack OPHIN_DOMAIN names (a new process,
    since they are compiled at import)."""
    folder = write_pack(tmp_path / "derm")
    probe = (
        "from ophin.cues.lexicon import find_terms, TERMS\n"
        "from ophin.knowledge.relations import relations_in\n"
        "text = 'Under dermoscopy you can see a plaque with silvery scale; the fovea is normal.'\n"
        "print(sorted(m.term.label for m in find_terms(text, TERMS)))\n"
        "print([r.indicates for r in relations_in('There is a plaque with silvery scale.')])\n"
    )
    env = {**os.environ, "OPHIN_DOMAIN": str(folder)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    labels, meanings = out.stdout.strip().splitlines()
    assert labels == "['dermoscopy', 'plaque', 'scale']"  # no fovea: the ophthalmic lexicon is not loaded
    assert meanings == "['psoriasis']"


def test_a_manifest_without_a_term_in_its_query_is_refused(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "derm")
    (folder / "pack.json").write_text(json.dumps({"title": "D", "query_template": "dermatology", "tags": []}))
    with pytest.raises(DomainPackError, match="query_template"):
        DomainPack("derm", folder)
