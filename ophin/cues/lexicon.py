"""The transparent visual-cue lexicon, compiled from the domain pack: terms, modalities, deictic phrases."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from ophin.domains.pack import current

TermKind = Literal["anatomy", "finding", "diagnosis", "modality", "deictic", "negative"]


@dataclass(frozen=True)
class Term:
    label: str
    kind: TermKind
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class TermMatch:
    term: Term
    text: str
    start: int
    end: int


# The tables are the domain pack's (ophin/domains/<OPHIN_DOMAIN>/lexicon.json): label -> regular expressions
# (Whisper writes "optic disc", "optic-disc" and "optic  disc" alike: the packs spell it {_SEP}).
_LEXICON = current().lexicon


def _table(table: Mapping[str, list[str]]) -> Mapping[str, tuple[str, ...]]:
    return {label: tuple(patterns) for label, patterns in table.items()}


ANATOMY = _table(_LEXICON.anatomy)
FINDINGS = _table(_LEXICON.findings)
DIAGNOSES = _table(_LEXICON.diagnoses)
# Words that grade or qualify a diagnosis ("proliferative", "wet"): kept with it when it is written.
DIAGNOSIS_QUALIFIERS = frozenset(_LEXICON.diagnosis_qualifiers)
MODALITIES = _table(_LEXICON.modalities)
# Frame classifier labels (ophin.imaging.modality.LABELS) -> lexicon modality labels. A label missing here
# (external eye, surgical microscope, diagram or slide, non-clinical) has no lexicon word a record may use.
FRAME_MODALITIES: Mapping[str, str] = dict(_LEXICON.frame_modalities)
# Phrases that point at the picture ("you can see") and phrases of what is not in it (epidemiology, risk,
# history, management, definitions): the rule scorer's evidence for and against a visual cue.
DEICTIC = _table(_LEXICON.deictic)
NEGATIVE = _table(_LEXICON.negative)
# Words written in capitals (the pack's wording.json): a record asks about "RPE", the ASR prompt says "OCT.".
ACRONYM = re.compile(rf"^(?:{'|'.join(current().wording.acronyms)})$", re.IGNORECASE)


def _compile(kind: TermKind, table: Mapping[str, tuple[str, ...]]) -> tuple[Term, ...]:
    # Lookarounds instead of \b so patterns ending in '%' or "'" still get a boundary.
    terms = []
    for label, alternatives in table.items():
        pattern = _LEXICON.expand("|".join(alternatives))
        terms.append(Term(label, kind, re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])", re.IGNORECASE)))
    return tuple(terms)


TERMS: tuple[Term, ...] = (
    _compile("anatomy", ANATOMY)
    + _compile("finding", FINDINGS)
    + _compile("diagnosis", DIAGNOSES)
    + _compile("modality", MODALITIES)
)
DEICTIC_TERMS: tuple[Term, ...] = _compile("deictic", DEICTIC)
NEGATIVE_TERMS: tuple[Term, ...] = _compile("negative", NEGATIVE)
# Short digest of every pattern: scorers fold it into their version so lexicon edits invalidate old runs.
LEXICON_DIGEST = hashlib.sha256(
    "\n".join(
        f"{t.kind}:{t.label}:{t.pattern.pattern}" for t in (*TERMS, *DEICTIC_TERMS, *NEGATIVE_TERMS)
    ).encode()
).hexdigest()[:8]


def find_terms(text: str, terms: Iterable[Term] = TERMS) -> list[TermMatch]:
    """Non-overlapping matches, leftmost-longest, so 'macular hole' wins over 'macula' and 'cup-to-disc
    ratio' over 'cup'; returned in text order."""
    candidates = [
        TermMatch(term, m.group(0), m.start(), m.end())
        for term in terms
        for m in term.pattern.finditer(text)
        if m.end() > m.start()
    ]
    candidates.sort(key=lambda c: (c.start, -(c.end - c.start)))
    chosen: list[TermMatch] = []
    last_end = -1
    for cand in candidates:
        if cand.start >= last_end:
            chosen.append(cand)
            last_end = cand.end
    return chosen


def terms_of_kind(matches: Iterable[TermMatch], *kinds: TermKind) -> list[TermMatch]:
    return [m for m in matches if m.term.kind in kinds]
