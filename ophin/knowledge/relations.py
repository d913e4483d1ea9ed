"""Cited finding -> meaning relations, keyed by cue-lexicon labels, and which of them a sentence asserts."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from typing import Literal

from ophin.cues.lexicon import TERMS, find_terms
from ophin.domains.pack import current
from ophin.text.negation import is_negated


@dataclass(frozen=True)
class Relation:
    finding: str  # what is seen, words taken from `statement`
    indicates: str  # what it means (a condition, or "a healthy optic disc"), words taken from `statement`
    statement: str  # one plain sentence a verifier may accept as grounding knowledge
    source: str  # a real, citable reference
    labels: tuple[str, ...] = ()  # cue-lexicon labels naming the finding; any one suffices
    requires: tuple[str, ...] = ()  # regexes that must ALL match the same sentence, each outside a negation
    excludes: tuple[str, ...] = ()  # regexes that veto the relation (another meaning of the same words)
    kind: Literal["sign", "normal"] = "sign"  # "normal": how a healthy structure looks
    modality: str | None = None  # lexicon modality label where the finding is typically judged


# The domain pack's relations (ophin/domains/<OPHIN_DOMAIN>/relations.json), each with its citation's text.
_KNOWLEDGE = current().knowledge
RELATIONS: tuple[Relation, ...] = tuple(
    Relation(
        r.finding,
        r.indicates,
        r.statement,
        _KNOWLEDGE.citations[r.source],
        tuple(r.labels),
        tuple(r.requires),
        tuple(r.excludes),
        r.kind,
        r.modality,
    )
    for r in _KNOWLEDGE.relations
)
# Spellings people (and other modules) use for the lexicon's labels.
ALIASES: dict[str, str] = dict(_KNOWLEDGE.aliases)
# What a finding shows about the tissue, not what the patient has: a relation indicating one of these names
# no diagnosis (its statement names none either), so a record may state it whatever the narrator diagnosed.
TISSUE_MEANINGS: frozenset[str] = frozenset(_KNOWLEDGE.tissue_meanings)

# Folded into the generator's config(): editing a relation re-runs synthesis.
RELATIONS_DIGEST = hashlib.sha256(
    json.dumps([[asdict(r) for r in RELATIONS], sorted(TISSUE_MEANINGS)], sort_keys=True).encode()
).hexdigest()[:12]


def is_diagnostic(relation: Relation) -> bool:
    """Whether the relation's meaning is a diagnosis (a condition the patient has), not how healthy tissue
    looks or what a finding shows about the tissue."""
    return relation.kind == "sign" and relation.indicates not in TISSUE_MEANINGS


def condition_narrated(relation: Relation, narration: Iterable[str]) -> bool:
    """Whether a record may use this relation when derived diagnoses must be narrated: a non-diagnostic
    meaning always; a diagnosis only when the narration names it, not negated: one of its alternatives as
    written ("glaucoma or high myopia": "glaucoma"), and every lexicon diagnosis its statement names
    ("glaucomatous optic neuropathy" needs both glaucoma and optic neuropathy said)."""
    if not is_diagnostic(relation):
        return True
    sentences = [_spelling(s) for s in narration if s and s.strip()]
    told = {
        m.term.label
        for s in sentences
        for m in find_terms(s, TERMS)
        if m.term.kind == "diagnosis" and not is_negated(s, m.start, m.end)
    }
    wanted = {
        m.term.label
        for text in (relation.indicates, relation.statement)
        for m in find_terms(text, TERMS)
        if m.term.kind == "diagnosis"
    }
    if not wanted <= told:
        return False
    if wanted & told and any(m.term.kind == "diagnosis" for m in find_terms(relation.indicates, TERMS)):
        return True
    return any(_said(alt, s) for alt in _alternatives(relation.indicates) for s in sentences)


_ALTERNATIVE = re.compile(r",\s*(?:or\s+)?|\s+or\s+")
_SPELLINGS = (("edema", "oedema"), ("ischemia", "ischaemia"), ("hemorrhage", "haemorrhage"))


def _spelling(text: str) -> str:
    text = text.lower()
    for us, uk in _SPELLINGS:
        text = re.sub(rf"(?<![a-z]){us}", uk, text)
    return text


def _alternatives(indicates: str) -> list[str]:
    """'proliferative diabetic retinopathy, a retinal tear or retinal vein occlusion' -> its three parts,
    without their articles."""
    parts = (re.sub(r"^(?:a|an|the)\s+", "", p.strip()) for p in _ALTERNATIVE.split(_spelling(indicates)))
    return [p for p in parts if p]


def _said(phrase: str, sentence: str) -> bool:
    return any(
        not is_negated(sentence, m.start(), m.end())
        for m in re.finditer(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", sentence)
    )


# Spoken "cup to disc ratio" contains "disc"; it must not satisfy optic-disc qualifiers.
_CDR = re.compile(r"cup[\s-]*(?:to[\s-]*)?dis[ck][\s-]*ratios?", re.IGNORECASE)


# Hedged wording: what a finding is consistent with, not what the patient has.
HEDGE = re.compile(
    r"\b(?:consistent with|in keeping with|compatible with|suggest(?:s|ed|ing|ive of)?|points? to"
    r"|raises? (?:the )?suspicion|typical of|characteristic of|features? of|may|might|could|possibl[ey]"
    r"|likely|probabl[ey]|hallmark of|sign of)\b",
    re.IGNORECASE,
)


def relations_for(labels: Iterable[str]) -> list[Relation]:
    """Every relation (sign or normal) keyed by any of these lexicon labels or their aliases, table order."""
    wanted = {ALIASES.get(label.lower(), label.lower()) for label in labels}
    return [r for r in RELATIONS if wanted & set(r.labels)]


def relations_in(sentence: str) -> list[Relation]:
    """The sign relations a sentence asserts: one of its labels named and not negated, every `requires`
    pattern matched outside a negation, no `excludes` pattern present."""
    matches = find_terms(sentence, TERMS)
    asserted = {
        m.term.label
        for m in matches
        if m.term.kind in ("anatomy", "modality") or not is_negated(sentence, m.start, m.end)
    }
    masked = _CDR.sub(lambda m: " " * len(m.group(0)), sentence)
    return [
        r
        for r in RELATIONS
        if r.kind == "sign"
        and asserted & set(r.labels)
        and not any(_pattern(p).search(masked) for p in r.excludes)
        and all(_asserted_match(_pattern(p), masked) for p in r.requires)
    ]


def normal_relations(labels: Iterable[str], modality: str | None) -> list[Relation]:
    """Normal-appearance relations for these anatomy labels that apply to this modality (None: any)."""
    return [
        r
        for r in relations_for(labels)
        if r.kind == "normal" and (r.modality is None or modality is None or r.modality == modality)
    ]


def _asserted_match(pattern: re.Pattern[str], sentence: str) -> bool:
    return any(not is_negated(sentence, m.start(), m.end()) for m in pattern.finditer(sentence))


@cache
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{source})(?![\w])", re.IGNORECASE)
