"""PHI finding: names, dates, record numbers and contacts are found; clinical numbers and eponyms are not."""

from __future__ import annotations

import pytest

from ophin.domain.phi import REDACTED, PhiMatch, find_phi, redact_phi


def _kinds(text: str) -> list[str]:
    return [m.kind for m in find_phi(text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("So this is patient John Smith, aged 64.", "person name", "John Smith"),
        ("Name: Jane Doe", "person name", "Jane Doe"),
        ("NAME: DOE, JANE", "person name", "DOE, JANE"),
        ("Hello, my name is Dr. Priya Patel.", "person name", "Priya Patel"),
        ("Mrs O'Brien-Jones came back with blurred vision.", "person name", "O'Brien-Jones"),
        ("Referred by Mr McDonald last week.", "person name", "McDonald"),
        ("pt. J. Smith", "person name", "J. Smith"),
        ("MRS. O'NEIL", "person name", "O'NEIL"),
        ("A man called John Smith.", "person name", "John Smith"),
        ("The patient, Ahmed Khan, noticed floaters.", "person name", "Ahmed Khan"),
        ("DOB 12/03/1961", "date of birth", "DOB 12/03/1961"),
        ("Date of birth: 1961-03-12", "date of birth", "Date of birth: 1961-03-12"),
        ("She was born on March 12, 1961.", "date of birth", "born on March 12, 1961"),
        ("Seen on 12 March 2019 in clinic.", "date", "12 March 2019"),
        ("Scan dated 2019-04-01.", "date", "2019-04-01"),
        ("Follow-up on 03.05.2021.", "date", "03.05.2021"),
        ("MRN 4481207", "record number", "MRN 4481207"),
        ("Hospital number: 1234567", "record number", "Hospital number: 1234567"),
        ("ID: 55321", "record number", "ID: 55321"),
        ("Reference 99012345 on the banner", "record number", "99012345"),
        ("NHS number 943 476 5919", "national id", "NHS number 943 476 5919"),
        ("SSN 123-45-6789", "national id", "SSN 123-45-6789"),
        ("Call 020 7946 0958 for the clinic.", "phone number", "020 7946 0958"),
        ("Phone (555) 123-4567.", "phone number", "(555) 123-4567"),
        ("Tel: +44 20 7946 0958", "phone number", "+44 20 7946 0958"),
        ("Write to j.doe@hospital.nhs.uk today", "email", "j.doe@hospital.nhs.uk"),
        ("Lives at 221B Baker Street, London.", "address", "221B Baker Street"),
        ("Postcode W1G 9PF", "address", "W1G 9PF"),
    ],
)
def test_find_phi_finds_identifiers(text: str, kind: str, value: str) -> None:
    found = find_phi(text)
    assert (kind, value) in [(m.kind, m.text) for m in found], found
    for m in found:
        assert text[m.start : m.end] == m.text


@pytest.mark.parametrize(
    "text",
    [
        "The cup-to-disc ratio is 0.8 in the right eye.",
        "Vision was 20/40 on the left and 6/6 on the right.",
        "Central subfield thickness was 300 microns, down from 450 µm.",
        "This is stage 3 retinopathy of prematurity with plus disease.",
        "Intraocular pressure 32 mmHg, 24-2 visual field, 10-2 for central loss.",
        "Best disease, Stargardt disease and Coats disease can all look like this.",
        "Dr Best's vitelliform dystrophy is an eponym.",
        "Patient A had drusen; in case 12 the disc was pale.",
        "This is patient 3, the one with the macular hole.",
        "The OCT 2019 protocol and the Dr.",
        "Treat with 0.05 ml of aflibercept 2 mg, 3 monthly loading doses.",
        "Around 1,000,000 people worldwide in 2020.",
        "As the patient History shows, the Patient Information leaflet helps.",
        "The ETDRS chart letters: 85 letters, logMAR 0.1.",
        "DR Screening and MS Optic Neuritis clinics.",
        "It is called OCT angiography; Patient OCT scans follow.",
        "A pattern called Hollenhorst plaques, or Roth spots.",
    ],
)
def test_find_phi_leaves_clinical_text_alone(text: str) -> None:
    assert find_phi(text) == []


def test_find_phi_returns_non_overlapping_spans_in_order() -> None:
    text = "Patient John Smith, DOB 12/03/1961, MRN 4481207, phone 020 7946 0958, j.smith@example.org."
    found = find_phi(text)
    assert [m.kind for m in found] == [
        "person name",
        "date of birth",
        "record number",
        "phone number",
        "email",
    ]
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))
    assert isinstance(found[0], PhiMatch)


def test_redact_phi_keeps_the_sentence_around_the_matches() -> None:
    text = "This is patient John Smith, DOB 12/03/1961, with drusen at the macula."
    assert redact_phi(text) == f"This is patient {REDACTED}, {REDACTED}, with drusen at the macula."
    assert redact_phi("The cup-to-disc ratio is 0.8.") == "The cup-to-disc ratio is 0.8."


def test_find_phi_reads_honorifics_case_sensitively() -> None:
    assert _kinds("Miss Marple noticed it.") == ["person name"]
    assert _kinds("You might miss Marple's sign here.") == []
