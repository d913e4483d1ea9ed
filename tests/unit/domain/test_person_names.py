"""Bare person names: rejected by verification, eponyms pass, and find_phi holds up on any text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ophin.domain.person_names import name_resource
from ophin.domain.phi import find_phi
from ophin.synthesis.base import Turn
from ophin.verification.checks import CheckParams, check_instruction


def _no_phi(answer: str):  # noqa: ANN202
    turns = [Turn("human", "What does the image show?"), Turn("gpt", answer)]
    return next(r for r in check_instruction(turns, [answer], CheckParams()) if r.check == "no_phi")


def test_check_instruction_rejects_a_bare_name_in_narration() -> None:
    result = _no_phi("Priya Patel came in with blurred vision and the fundus shows dot haemorrhages.")
    assert not result.passed and "person name" in result.detail
    assert "Patel" not in result.detail  # the stored reason names the kind, never the name


def test_check_instruction_passes_eponyms() -> None:
    for answer in (
        "Stargardt disease, Best disease and Coats disease are seen; a Marcus Gunn pupil is present.",
        "Vogt-Koyanagi-Harada disease with Dalen-Fuchs nodules and Kayser-Fleischer rings.",
        "Descemet membrane, Bowman layer, Schlemm canal and Bruch membrane on OCT.",
        "Elschnig spots, Roth spots, an Adie pupil and a Horner syndrome.",
        "Amsler grid, Snellen chart and Goldmann applanation in a Humphrey and Zeiss Cirrus workup.",
    ):
        assert _no_phi(answer).passed, answer


_WORDS = sorted(
    w for w in name_resource().first if w.isalpha() and len(w) > 2 and w not in name_resource().words
)
_SURNAMES = sorted(
    w for w in name_resource().last if w.isalpha() and len(w) > 2 and w not in name_resource().words
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_find_phi_never_crashes_on_random_text(text: str) -> None:
    for match in find_phi(text):
        assert text[match.start : match.end] == match.text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_WORDS), st.sampled_from(_SURNAMES), st.sampled_from(["", "Today ", "Then "]))
def test_find_phi_finds_a_planted_name_from_the_resource(first: str, last: str, lead: str) -> None:
    name = f"{first.title()} {last.title()}"
    text = f"{lead}{name} came in with blurred vision."
    start = len(lead)
    assert any(
        m.kind == "person name" and m.start < start + len(name) and start < m.end for m in find_phi(text)
    )


def _names(text: str) -> list[str]:
    return [m.text for m in find_phi(text) if m.kind == "person name"]


def test_find_phi_finds_names_the_first_name_list_does_not_lead() -> None:
    # Particles, hyphenated first names, an initial before an unlisted surname, an unlisted first name
    # before a listed surname, "Surname, First" and a name before an introduction's "I'm".
    for text, name in (
        ("Review of Yusuf al-Hashimi in the uveitis clinic.", "al-Hashimi"),
        ("The referral for Marie-Claire Dubois mentions a field defect.", "Marie-Claire Dubois"),
        ("I reviewed R. Gunnarsdottir in the glaucoma clinic.", "R. Gunnarsdottir"),
        ("Yesterday Sigrún Jonsson rang about flashing lights.", "Sigrún Jonsson"),
        ("Theatre list: Mensah, Abena; then the retina cases.", "Mensah, Abena"),
        ("Welcome back, I'm Marie-Claire Dubois.", "Marie-Claire Dubois"),
    ):
        assert any(name in found for found in _names(text)), (text, _names(text))


def test_find_phi_finds_names_in_lowercase_asr_text() -> None:
    assert _names("so this is abena mensah she came in with a red eye") == ["abena mensah"]
    assert _names("hi everyone i'm sigrun jonsson one of the fellows") == ["sigrun jonsson"]


def test_find_phi_leaves_jargon_acronyms_and_licences_alone() -> None:
    for text in (
        "pars plana vitrectomy was done and the retina is flat",
        "so the stargardt patients usually present in their teens",
        "Creative Commons Attribution-ShareAlike 4.0 International",
        "Iris atrophy was seen after the attack.",
        "The Ahmed valve has a flow restrictor.",
    ):
        assert _names(text) == [], text


def test_find_phi_does_not_read_a_two_letter_ocr_fragment_as_a_name() -> None:
    # What OCR read off a redacted fundus photograph's vessels and exudates: "Ya" is on the first-name list
    # and "by" before it used to be enough to call it a person, failing the release's phi_leaks gate.
    assert find_phi("ath Sed lal Sete if a 4s by Ya ed fm") == []
    for short in ("Ya", "Li", "Yu", "Jo", "Al"):
        assert _names(f"seen by {short} ed") == [], short
    # A two-letter name is still found with narration after it, a second name word, or a title.
    assert _names("Li came in with floaters.") == ["Li"]
    assert _names("hosted by Jo Smith") == ["Jo Smith"]
    assert _names("seen by Dr Li") == ["Li"]
