"""Finding protected health information (names, dates, record numbers, contacts) in lecture text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ophin.domain.person_names import find_person_names

REDACTED = "[REDACTED]"


@dataclass(frozen=True)
class PhiMatch:
    kind: str  # "person name" | "date" | "date of birth" | "record number" | "national id" | ...
    text: str
    start: int
    end: int


# A name token: "Smith", "O'Brien", "Smith-Jones", "J." or all-caps "SMITH" (OCR'd overlays).
_NAME_PART = (
    r"(?:(?:[A-Z]['’])?[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:['’-][A-Z]?[a-z]+)*"  # Smith, O'Brien, McDonald
    r"|(?:[A-Z]['’])?[A-Z]{2,}(?:['’-][A-Z]+)*|[A-Z]\.)"  # SMITH, O'NEIL, J.
)
_NAME_PART_RE = re.compile(_NAME_PART)
_NAME = rf"{_NAME_PART}\.?(?:,?[ \t]+{_NAME_PART}\.?){{0,3}}"
# Honorifics are case-sensitive ("Miss" the title, not "miss" the verb); labels and "patient" are not.
# Capitalised "MS" and "DR" are multiple sclerosis and diabetic retinopathy far more often than titles.
_HONORIFIC = r"(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Professor|Doctor|MR|MRS|MISS|PROF)\.?"
_LABEL = r"(?i:patient(?:'s)?\s+name|name|pt|patient|my\s+name\s+is|named|called)\.?"
_HONORIFIC_RE = re.compile(_HONORIFIC)
_PERSON = re.compile(rf"(?:\b{_HONORIFIC}[ \t]+|\b{_LABEL}(?:[ \t]*[:=\-][ \t]*|,?[ \t]+))(?P<name>{_NAME})")
# Capitalised words that follow "patient"/"Name"/"Dr" in lecture text without being anyone's name.
_NOT_NAMES = frozenset(
    """
a an and are as at be but by case cases chart charts date details did do dob does education example
examples female field fields for from gender had has have he her here his history id if in information
is it its leaflet left male mrn my name names no not now number of on or our patient patients please
record records right sex she so study that the their then there these they this those to today was we
were when which who with age aged born birth presented presents presenting consent identifier identity
one two three four five six seven eight nine ten x y z a. b. c. od os ou eye eyes i ii iii iv v
""".split()
)
# Eponyms name a disease, a sign or an instrument, not a person in the room ("Dr Best's disease").
_EPONYM_TAIL = re.compile(
    r"^(?:['’]s)?[ \t]+(?:disease|dystrophy|syndrome|sign|reflex|membrane|layer|canal|lens|grid|chart|"
    r"test|spots?|nodules?|ring|line|striae|phenomenon|pupil|pearls|classification|criteria|"
    r"tonometer|tonometry|law|rule|retinopathy|macular|vitelliform|corneal|plaques?|bod(?:y|ies)|dots?|"
    r"flecks?|streaks?|cells?|fib(?:re|er)s?|ulcers?|keratitis|mano?euvre|maneuver|scale|procedure|"
    r"operation|laser|staging|grading|classification|nodules?|lines?)\b",
    re.IGNORECASE,
)

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAY = r"(?:[0-2]?\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
# Three-part dates only: two-part "20/40" and "6/6" are visual acuities.
_DATE_BODY = (
    r"(?:[0-2]?\d|3[01])[/.-](?:[0-2]?\d|3[01])[/.-](?:\d{4}|\d{2})"
    rf"|{_YEAR}[/.-](?:0?[1-9]|1[0-2])[/.-](?:[0-2]?\d|3[01])"
    rf"|{_MONTH}[ \t]+{_DAY},?[ \t]+{_YEAR}"
    rf"|{_DAY}[ \t]+(?:of[ \t]+)?{_MONTH},?[ \t]+{_YEAR}"
    rf"|{_MONTH}[ \t]+{_YEAR}"
)
_DATE = re.compile(rf"(?<![\w./-])(?:{_DATE_BODY})(?![\w/-]|\.\d)")
_DOB = re.compile(
    r"(?:\bD\.?O\.?B\b\.?|\b(?i:date\s+of\s+birth|birth\s*date|born(?:\s+on)?)\b)"
    rf"(?P<value>[ \t]*[:\-]?[ \t]*(?:{_DATE_BODY}|{_YEAR}|\d[\d/.-]*\d)(?![\w/-]|\.\d))?"
)

_RECORD = re.compile(
    r"(?i:\b(?:mrn|m\.r\.n\.|(?:medical\s+)?record|hospital|patient|case|chart|unit|nhs|chi|id|"
    r"identifier|ssn|social\s+security|insurance|accession))"
    r"(?:[ \t]+(?i:no\.?|num(?:ber)?|#|id|number))?[ \t]*[:#]?[ \t]*"
    r"(?P<value>[A-Z]{0,3}[ \t-]?\d[\d \t-]{2,}\d)(?!\w|\.\d)"
)
_LONG_DIGITS = re.compile(r"(?<![\w.,/])\d{6,}(?![\w/]|[.,]\d)")
_SSN = re.compile(r"(?<![\w.-])\d{3}-\d{2}-\d{4}(?![\w-])")
_NHS = re.compile(
    r"(?i:\bnhs(?:\s+(?:no\.?|number))?)[ \t]*[:#]?[ \t]*(?P<value>\d{3}[ -]?\d{3}[ -]?\d{4})\b"
)
_PHONE = re.compile(
    r"(?<![\w./])(?:\+\d{1,3}[ \t.-]?)?(?:\(\d{2,5}\)[ \t.-]?)?\d{2,5}(?:[ \t.-]\d{2,5}){1,3}(?![\w/]|\.\d)"
)
_PHONE_LABEL = re.compile(r"(?i:\b(?:tel|phone|telephone|mobile|cell|fax|call)\b\.?)[ \t]*[:#]?[ \t]*$")
_EMAIL = re.compile(r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?[ \t]+(?:[A-Z][a-z]+[ \t]+){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Boulevard|Blvd|Court|Ct|Close|Way|Place|Terrace|"
    r"Crescent|Highway|Hwy|Gardens|Square|Parkway|Row|Mews)\b\.?"
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?[ \t]+\d[A-Z]{2}\b")


def find_phi(text: str) -> list[PhiMatch]:
    """Non-overlapping PHI spans in text order; the longest wins where two kinds overlap."""
    found = [
        *_people(text),
        *(PhiMatch("person name", text[a:b], a, b) for a, b in find_person_names(text)),
        *_dates(text),
        *_numbers(text),
        *(PhiMatch("email", m.group(0), m.start(), m.end()) for m in _EMAIL.finditer(text)),
        *(PhiMatch("address", m.group(0), m.start(), m.end()) for m in _STREET.finditer(text)),
        *(PhiMatch("address", m.group(0), m.start(), m.end()) for m in _POSTCODE.finditer(text)),
    ]
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    chosen: list[PhiMatch] = []
    for match in found:
        if not chosen or match.start >= chosen[-1].end:
            chosen.append(match)
    return chosen


def redact_phi(text: str, replacement: str = REDACTED) -> str:
    """text with every find_phi span replaced, so the surrounding sentence survives."""
    parts: list[str] = []
    last = 0
    for match in find_phi(text):
        parts += [text[last : match.start], replacement]
        last = match.end
    return "".join(parts) + text[last:]


def _people(text: str) -> list[PhiMatch]:
    out = []
    for m in _PERSON.finditer(text):
        start, end = m.start("name"), None
        for token in _NAME_PART_RE.finditer(text, m.start("name"), m.end("name")):
            word = token.group(0).lower()
            if end is None and _HONORIFIC_RE.fullmatch(token.group(0) + "."):
                # "my name is Dr. Patel": the name starts after the title; the honorific match covers it.
                start = token.end()
                continue
            if word in _NOT_NAMES:
                break
            end = token.end()
        start = _skip_blanks(text, start, end)
        # "called OCT", "patient OCT": all capitals read as a name only on a banner ("NAME: DOE") or after
        # a title ("MR SMITH").
        if (
            end is not None
            and text[start:end].isupper()
            and ":" not in m.group(0)
            and not _HONORIFIC_RE.match(m.group(0))
        ):
            continue
        # A lone initial ("Patient A") is already anonymised.
        if end is None or end - start < 2 or text[start:end].endswith(".") and end - start == 2:
            continue
        if _EPONYM_TAIL.match(text[end:]):
            continue
        out.append(PhiMatch("person name", text[start:end], start, end))
    return out


def _skip_blanks(text: str, start: int, end: int | None) -> int:
    while end is not None and start < end and not text[start].isalpha():
        start += 1
    return start


def _dates(text: str) -> list[PhiMatch]:
    out = [PhiMatch("date", m.group(0), m.start(), m.end()) for m in _DATE.finditer(text)]
    for m in _DOB.finditer(text):
        # "born" is ordinary English; only a date after it makes it PHI. A bare "DOB" label still is.
        if m.group("value") is None and m.group(0).lower().startswith("born"):
            continue
        out.append(PhiMatch("date of birth", m.group(0), m.start(), m.end()))
    return out


def _numbers(text: str) -> list[PhiMatch]:
    out = [PhiMatch("national id", m.group(0), m.start(), m.end()) for m in _SSN.finditer(text)]
    out += [PhiMatch("national id", m.group(0), m.start(), m.end()) for m in _NHS.finditer(text)]
    for m in _RECORD.finditer(text):
        digits = re.sub(r"\D", "", m.group("value"))
        # "patient 3" and "case 12" are how lectures number their examples.
        if len(digits) >= 4 or m.group(0).lower().startswith(("mrn", "m.r.n", "record", "id", "nhs")):
            national = m.group(0).lower().startswith(("nhs", "chi", "ssn", "social", "insurance"))
            out.append(
                PhiMatch("national id" if national else "record number", m.group(0), m.start(), m.end())
            )
    out += [PhiMatch("record number", m.group(0), m.start(), m.end()) for m in _LONG_DIGITS.finditer(text)]
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        labelled = bool(_PHONE_LABEL.search(text[max(0, m.start() - 20) : m.start()]))
        if 9 <= len(digits) <= 15 or (labelled and len(digits) >= 6):
            out.append(PhiMatch("phone number", m.group(0), m.start(), m.end()))
    return out
