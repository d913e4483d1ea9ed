"""The one modality a record may name: the frame classifier's label and the narration agree, or none."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ophin.cues.lexicon import FRAME_MODALITIES, TERMS, find_terms, terms_of_kind
from ophin.domains.pack import current
from ophin.knowledge.relations import Relation

# How a record calls each modality ("OCT scan"), from the domain pack's lexicon.
NOUNS: dict[str, str] = dict(current().lexicon.modality_nouns)
NEUTRAL_NOUN = "image"
# What the neutral noun leaves behind when it replaces a modality word: "image photograph", "a image".
_DOUBLED = re.compile(r"\bimage(?:\s+(?:photo(?:graph)?|images?|pictures?|scans?|photography))+s?\b", re.I)
_ARTICLE = re.compile(r"\b([Aa])\s+image\b")


def narrated_modalities(cues: Iterable[str]) -> list[str]:
    """Lexicon modality labels the narration names, first mention first."""
    labels = (m.term.label for c in cues for m in terms_of_kind(find_terms(c, TERMS), "modality"))
    return list(dict.fromkeys(labels))


def record_modality(frame_label: str | None, cues: Iterable[str]) -> str | None:
    """The modality the records of this image name. With a frame label: it, when the narration names it or
    no modality at all; None when the narration names only others (one of the two is wrong, and the record
    says neither). Without one (no classifier ran): the narration's, when it names exactly one."""
    narrated = narrated_modalities(cues)
    if frame_label is None:
        return narrated[0] if len(narrated) == 1 else None
    mine = FRAME_MODALITIES.get(frame_label)
    if mine is None or (narrated and mine not in narrated):
        return None
    return mine


def noun(modality: str | None) -> str:
    return NOUNS.get(modality or "", NEUTRAL_NOUN)


def fits(relation: Relation, modality: str | None) -> bool:
    """A relation judged on one modality is stated only for a record of that modality."""
    return relation.modality is None or relation.modality == modality


def other_modalities(text: str, modality: str | None) -> list[str]:
    """Modality labels a text names besides the record's."""
    found = terms_of_kind(find_terms(text, TERMS), "modality")
    return list(dict.fromkeys(m.term.label for m in found if m.term.label != modality))


def scrub(text: str, modality: str | None) -> str:
    """Every mention of a modality other than the record's becomes the neutral noun ("the OCT shows" -> "the
    image shows"), so a cue keeps its finding without naming a picture the frame is not."""
    found = [m for m in terms_of_kind(find_terms(text, TERMS), "modality") if m.term.label != modality]
    for m in sorted(found, key=lambda m: m.start, reverse=True):
        text = text[: m.start] + NEUTRAL_NOUN + text[m.end :]
    if found:
        text = _ARTICLE.sub(lambda m: f"{m.group(1)}n image", _DOUBLED.sub(NEUTRAL_NOUN, text))
    return text
