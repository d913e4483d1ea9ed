"""The shipped query taxonomy: real, unique, clean terms, and deterministic query generation over them."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from ophin.domains.pack import current
from ophin.knowledge.taxonomy import CATEGORIES, TaxonomyQuery, counts, load_terms, taxonomy_queries

MINIMUMS = {"conditions": 450, "modalities": 30, "anatomy": 250, "procedures": 120}
MAX_TERM_CHARS = 80
# Letters, digits and the punctuation clinical names use ("Nd:YAG", "bull's eye"); no markup, no braces.
TERM_SHAPE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 '\-,./:()+]*[A-Za-z0-9)])?")
# The lists use British spelling; an American variant beside it would split one entity into two queries.
AMERICAN_FORMS = re.compile(r"hemorrhag|(?<!o)edema|\btumor|\bcolor|ischemi|leukemi|anemi|pediatric|fiber")


def _raw_text(category: str) -> str:
    return current().text("taxonomy", f"{category}.txt")


def _duplicates(terms: list[str]) -> list[str]:
    return sorted(t for t, n in Counter(t.casefold() for t in terms).items() if n > 1)


def _malformed(terms: list[str]) -> list[str]:
    return [t for t in terms if len(t) > MAX_TERM_CHARS or "  " in t or not TERM_SHAPE.fullmatch(t)]


def _unprintable_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.split("\n"), 1) if not (line.isascii() and line.isprintable())]


def test_checks_refuse_bad_terms() -> None:
    assert _duplicates(["Coats disease", "coats disease", "uveitis"]) == ["coats disease"]
    bad = [
        "",
        " uveitis",
        "uveitis ",
        "macular  hole",
        "<b>glaucoma</b>",
        "{term}",
        "- keratoconus",
        "x" * 81,
    ]
    assert _malformed(bad) == bad
    assert (
        _malformed(
            ["Nd:YAG laser capsulotomy", "bull's eye maculopathy", "type 1 macular neovascularization"]
        )
        == []
    )
    assert _unprintable_lines("uveitis\nBeh\u00e7et disease\nglau\tcoma\n") == [2, 3]
    assert AMERICAN_FORMS.search("diabetic macular edema")
    assert not AMERICAN_FORMS.search("diabetic macular oedema")


def test_counts_meet_minimums() -> None:
    sizes = counts()
    assert list(sizes) == list(CATEGORIES)
    for category, minimum in MINIMUMS.items():
        assert sizes[category] >= minimum, (category, sizes[category])


@pytest.mark.parametrize("category", CATEGORIES)
def test_files_are_printable_ascii_with_a_header(category: str) -> None:
    text = _raw_text(category)
    assert _unprintable_lines(text) == []
    assert text.endswith("\n")
    header = text.split("\n")[:2]
    assert all(line.startswith("# ") for line in header)
    assert "English clinical names" in header[1]


@pytest.mark.parametrize("category", CATEGORIES)
def test_terms_are_clean_and_unique_within_category(category: str) -> None:
    raw = [line for line in _raw_text(category).split("\n") if line and not line.startswith("#")]
    assert _malformed(raw) == []
    assert _duplicates(raw) == []
    assert list(load_terms(category)) == raw
    assert AMERICAN_FORMS.findall(" | ".join(raw)) == []


def test_no_term_in_two_categories() -> None:
    everything = [term for category in CATEGORIES for term in load_terms(category)]
    assert _duplicates(everything) == []


@pytest.mark.parametrize(
    ("category", "term"),
    [
        ("conditions", "central serous chorioretinopathy"),
        ("conditions", "neovascular age-related macular degeneration"),
        ("conditions", "proliferative diabetic retinopathy"),
        ("conditions", "Stargardt disease"),
        ("conditions", "primary open-angle glaucoma"),
        ("anatomy", "retinal pigment epithelium"),
        ("anatomy", "ellipsoid zone"),
        ("anatomy", "Schlemm canal"),
        ("anatomy", "lamina papyracea"),
        ("modalities", "optical coherence tomography angiography"),
        ("modalities", "fundus autofluorescence"),
        ("modalities", "gonioscopy"),
        ("procedures", "pars plana vitrectomy"),
        ("procedures", "Descemet membrane endothelial keratoplasty"),
        ("procedures", "panretinal photocoagulation"),
    ],
)
def test_spot_terms_sit_in_their_category(category: str, term: str) -> None:
    placed = [c for c in CATEGORIES if term in load_terms(c)]
    assert placed == [category]


def test_load_terms_refuses_unknown_category() -> None:
    with pytest.raises(ValueError, match="conditions, modalities, anatomy, procedures"):
        load_terms("diseases")
    with pytest.raises(ValueError, match="unknown taxonomy category"):
        taxonomy_queries(["conditions", "diseases"])


def test_taxonomy_queries_default_is_every_term_in_category_then_file_order() -> None:
    queries = taxonomy_queries()
    assert len(queries) == sum(counts().values())
    assert [(q.category, q.term) for q in queries] == [(c, t) for c in CATEGORIES for t in load_terms(c)]
    assert queries[0] == TaxonomyQuery("conditions", load_terms("conditions")[0], queries[0].query)
    assert all(q.query == f"{q.term} ophthalmology" for q in queries)
    assert taxonomy_queries() == queries


def test_taxonomy_queries_follows_the_given_categories() -> None:
    queries = taxonomy_queries(["procedures", "anatomy", "procedures"], template="{term} surgery video")
    expected = [("procedures", t) for t in load_terms("procedures")] + [
        ("anatomy", t) for t in load_terms("anatomy")
    ]
    assert [(q.category, q.term) for q in queries] == expected
    assert queries[0].query == f"{load_terms('procedures')[0]} surgery video"
    with pytest.raises(ValueError, match="not one string"):
        taxonomy_queries("conditions")


@pytest.mark.parametrize(
    "template", ["ophthalmology", "{term} {extra}", "{term} and {term}", "{term", "{}", "{0}"]
)
def test_taxonomy_queries_refuses_template_without_one_term_field(template: str) -> None:
    with pytest.raises(ValueError):
        taxonomy_queries(template=template)


def test_taxonomy_queries_honours_limit() -> None:
    full = taxonomy_queries(["modalities", "procedures"])
    assert taxonomy_queries(["modalities", "procedures"], limit=0) == []
    assert taxonomy_queries(["modalities", "procedures"], limit=100) == full[:100]
    assert len(full[:100]) == 100 and full[99].category == "procedures"
    assert taxonomy_queries(["modalities", "procedures"], limit=10**6) == full
    with pytest.raises(ValueError, match="limit"):
        taxonomy_queries(limit=-1)
