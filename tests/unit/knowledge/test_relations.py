"""The shipped finding -> meaning relations: cited, keyed by real lexicon labels, asserted only when named."""

from __future__ import annotations

import re

import pytest

from ophin.cues.lexicon import ANATOMY, DIAGNOSES, FINDINGS, MODALITIES
from ophin.knowledge import (
    RELATIONS,
    RELATIONS_DIGEST,
    Relation,
    is_negated,
    normal_relations,
    relations_for,
    relations_in,
)
from ophin.verification.checks import content_words

LEXICON_LABELS = {*ANATOMY, *FINDINGS, *DIAGNOSES, *MODALITIES}


def _findings(sentence: str) -> list[str]:
    return [r.finding for r in relations_in(sentence)]


def test_relations_are_many_cited_and_one_sentence_each() -> None:
    signs = [r for r in RELATIONS if r.kind == "sign"]
    assert len(signs) >= 30
    for r in RELATIONS:
        assert r.source.strip() and not re.search(r"https?://|www\.", r.source), r
        assert r.statement.endswith(".") and r.statement.count(". ") == 0, r.statement
        assert r.statement[0].isupper(), r.statement
    assert len({r.statement for r in RELATIONS}) == len(RELATIONS)


def test_relation_labels_and_modalities_exist_in_the_lexicon() -> None:
    for r in RELATIONS:
        assert r.labels and set(r.labels) <= LEXICON_LABELS, r
        assert r.modality is None or r.modality in MODALITIES, r


def test_relation_finding_and_meaning_are_worded_from_the_statement() -> None:
    # The generator restates `finding` and `indicates` on their own; grounding only knows the statement.
    for r in RELATIONS:
        said = set(content_words(r.statement))
        assert set(content_words(r.finding)) <= said, r.finding
        assert set(content_words(r.indicates)) <= said, r.indicates


def test_relation_patterns_compile() -> None:
    for r in RELATIONS:
        for pattern in (*r.requires, *r.excludes):
            re.compile(pattern)


def test_relations_for_matches_labels_and_aliases() -> None:
    drusen = relations_for(["drusen"])
    assert any(r.indicates == "age-related macular degeneration" for r in drusen)
    assert relations_for(["Hemorrhage"]) == relations_for(["haemorrhage"]) != []
    assert relations_for(["edema"]) == relations_for(["oedema"])
    assert relations_for(["no such label"]) == []
    assert all(isinstance(r, Relation) for r in relations_for(LEXICON_LABELS))


@pytest.mark.parametrize(
    ("sentence", "finding"),
    [
        ("Multiple large drusen are scattered around the fovea.", "drusen"),
        ("The cup-to-disc ratio looks enlarged, around zero point seven.", "enlarged cup-to-disc ratio"),
        ("The cup to disc ratio is 0.8.", "enlarged cup-to-disc ratio"),
        ("Notice the haemorrhage at the inferior disc margin.", "optic disc haemorrhage"),
        ("There are scattered microaneurysms temporal to the fovea.", "microaneurysms"),
        ("A cherry red spot is seen at the fovea.", "cherry-red spot"),
        ("The optic disc is swollen with blurred margins.", "optic disc swelling"),
        ("Intraretinal cystoid spaces distort the fovea.", "cystoid spaces"),
        ("There is subretinal fluid under the fovea.", "subretinal fluid"),
        (
            "Flame haemorrhages in all four quadrants with dilated tortuous veins.",
            "dilated tortuous retinal veins",
        ),
    ],
)
def test_relations_in_fires_when_the_finding_is_named(sentence: str, finding: str) -> None:
    assert finding in _findings(sentence)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("There are no drusen at the macula.", []),
        ("Haemorrhages are not seen.", []),
        ("The disc is not swollen and there is no pallor.", []),
        ("No microaneurysms, haemorrhages or exudates are present.", []),
        ("The cup to disc ratio is 0.3.", []),  # the qualifier the finding needs is absent
        ("The optic disc has well-defined margins and a pink neuroretinal rim.", []),
        ("Drusen of the optic disc are buried in the nerve head.", ["optic disc drusen"]),  # not macular
    ],
)
def test_relations_in_stays_silent_when_the_finding_is_denied_or_unqualified(
    sentence: str, expected: list[str]
) -> None:
    assert _findings(sentence) == expected


def test_relations_in_keeps_a_negation_to_its_own_clause() -> None:
    assert _findings("There is no haemorrhage, but drusen are present.") == ["drusen"]
    assert _findings("There are drusen without any fluid.") == ["drusen"]


@pytest.mark.parametrize(
    ("sentence", "word", "negated"),
    [
        ("There are no drusen.", "drusen", True),
        ("Haemorrhages are not seen.", "Haemorrhages", True),
        ("The macula is free of fluid.", "fluid", True),
        ("No haemorrhages, exudates or cotton wool spots.", "cotton", True),
        ("No fluid is seen, but drusen are present.", "drusen", False),
        ("Not only drusen but also fluid is present.", "drusen", False),
        ("There is no change in the drusen.", "drusen", False),
        ("The cup-to-disc ratio is 0.8.", "0.8", False),
    ],
)
def test_is_negated(sentence: str, word: str, negated: bool) -> None:
    start = sentence.index(word)
    assert is_negated(sentence, start, start + len(word)) is negated


def test_normal_relations_follow_anatomy_and_modality() -> None:
    disc = normal_relations(["optic disc"], "fundus photograph")
    assert disc and all(r.kind == "normal" for r in disc)
    assert normal_relations(["retinal layers"], "fundus photograph") == []
    assert normal_relations(["retinal layers"], "oct")
    assert normal_relations(["drusen"], None) == []


def test_relations_digest_is_short_and_stable() -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", RELATIONS_DIGEST)


def test_relations_statement_names_only_its_own_modality() -> None:
    # The generator states a relation only for a frame of the relation's modality; a statement naming a
    # modality its `modality` field does not declare would slip a second one into a record.
    from ophin.cues.lexicon import TERMS, find_terms, terms_of_kind
    from ophin.knowledge.relations import RELATIONS

    for r in RELATIONS:
        named = {m.term.label for m in terms_of_kind(find_terms(r.statement, TERMS), "modality")}
        assert named <= {r.modality}, (r.finding, named, r.modality)
