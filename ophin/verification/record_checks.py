"""Checks that read a record beside its image and narration: modality, invented diagnoses, question focus,
narration artefacts, chain-of-thought steps copied from another kind, conversation depth."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ophin.cues.base import split_sentences
from ophin.cues.lexicon import NEGATIVE_TERMS, TERMS, TermMatch, find_terms, terms_of_kind
from ophin.domains.pack import current
from ophin.knowledge.relations import HEDGE, Relation, relations_in
from ophin.synthesis.base import Turn
from ophin.verification.checks import CheckResult, content_words
from ophin.verification.claims import polar_mentions

RECORD_CHECKS = ("modality", "diagnosis", "focus", "no_artefacts", "cot_copy", "depth")
MIN_CONVERSATION_TURNS = 3  # question-answer exchanges a conversation needs to teach more than a VQA
MAX_STEP_OVERLAP = 0.8  # content-word overlap (of the larger side) at which a CoT step copies a sentence

# From the domain pack's lexicon: the frame's stored label -> the modality labels a record may name (a label
# mapped to none: naming any contradicts); modality words that say nothing alone ("the fundus", "this scan");
# label families a focused answer may name instead of the very label asked about (one structure, its parts).
# They are not in the lexicon digest: editing them means a verify VERSION bump, as when they were code.
_LEXICON = current().lexicon
FRAME_MODALITY_TERMS: dict[str, frozenset[str]] = {
    label: frozenset(words) for label, words in _LEXICON.frame_modality_words.items()
}
_GENERIC_MODALITY_WORDS = frozenset(_LEXICON.generic_modality_words)
_FAMILIES: tuple[frozenset[str], ...] = tuple(frozenset(family) for family in _LEXICON.label_families)
_MODALITY_QUESTION = re.compile(
    r"\b(?:(?:kind|type|sort) of (?:image|picture|scan|photograph|imaging)|(?:imaging )?modality)\b",
    re.IGNORECASE,
)

# Narration artefacts: the lecture's voice, not a description of the image. Greetings, thanks, channel and
# lecture talk come from the cue lexicon's non-visual table; the rest are how a narrator addresses a room.
_ARTEFACT_LABELS = ("greeting", "thanks", "channel", "lecture")
_ARTEFACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "addresses the audience",
        re.compile(
            r"\bas (?:you|we) (?:can )?see\b|\b(?:you|we) (?:can|could|will|should|may|might)(?: \w+)? see\b"
            r"|\b(?:you|we)'ll(?: \w+)? see\b|\b(?:you|we) see\b|\bif you look\b|\blet(?:'s| us) look\b",
            re.IGNORECASE,
        ),
    ),
    (
        "names the slide",
        re.compile(
            r"\b(?:on|in|from) (?:this|the|that|these|those|our|my|next|previous|last) (?:\w+ )?slides?\b"
            r"|\b(?:this|next|previous|last) slide\b",
            re.IGNORECASE,
        ),
    ),
    ("filler", re.compile(r"\b(?:um+|uh+|erm|okay so|ok so|alright so)\b", re.IGNORECASE)),
)
# First person in an answer is the narrator talking ("I think", "we have"); a user's question may use it.
# "I" after type/grade/zone/stage/class/phase is a Roman numeral (ROP zone I); lowercase "us" only.
_FIRST_PERSON = re.compile(
    r"(?<!(?i:type) )(?<!(?i:grade) )(?<!(?i:zone) )(?<!(?i:stage) )(?<!(?i:class) )(?<!(?i:phase) )"
    r"\bI(?:'m|'ve|'d|'ll)?\b"
    r"|\b(?i:me|my|mine|we|we're|we've|we'll|we'd|our|ours|let's|let me)\b|\bus\b"
)


@dataclass(frozen=True)
class RecordContext:
    """What a record is checked against besides its own turns."""

    kind: str  # vqa | conversation | cot
    modality: str | None  # the frame's stored modality label; None: not known, not judged
    narration: tuple[str, ...]  # what was said while the image was on screen (the pair's sentences)
    siblings: tuple[tuple[str, str], ...] = ()  # (kind, answer text) of the image's other records
    # settings.synthesis.derived_diagnoses: "narrated" refuses any diagnosis the narration does not name;
    # "hedged" accepts one that is hedged and cited from a narrated finding's relation
    derived_diagnoses: str = "narrated"


def check_record(turns: Sequence[Turn], ctx: RecordContext) -> list[CheckResult]:
    """The checks that apply to ctx.kind, in RECORD_CHECKS order."""
    answers = [t.text for t in turns if t.role == "gpt"]
    results = [
        modality_consistent(turns, ctx.modality),
        diagnosis_narrated(answers, ctx.narration, ctx.modality, ctx.derived_diagnoses),
    ]
    if ctx.kind == "vqa":
        results.append(focus_addressed(turns))
    results.append(no_artefacts(turns))
    if ctx.kind == "cot":
        results.append(cot_steps_distinct(answers, [a for k, a in ctx.siblings if k != "cot"]))
    if ctx.kind == "conversation":
        results.append(conversation_depth(turns))
    return results


def modality_consistent(turns: Sequence[Turn], frame_modality: str | None) -> CheckResult:
    """Every imaging modality the record names (not denied) is one the frame's stored modality allows."""
    if frame_modality is None or frame_modality not in FRAME_MODALITY_TERMS:
        return CheckResult("modality", True, None, f"frame modality {frame_modality!r} not judged")
    allowed = FRAME_MODALITY_TERMS[frame_modality]
    named: dict[str, None] = {}
    for turn in turns:
        matches = find_terms(turn.text, TERMS)
        for m in terms_of_kind(matches, "modality"):
            if m.text.lower() in _GENERIC_MODALITY_WORDS or _denied(turn.text, m):
                continue
            if m.term.label not in allowed:
                named.setdefault(f"'{m.text}' ({m.term.label})", None)
    if named:
        detail = f"names {', '.join(named)} but the frame is {frame_modality}"
        return CheckResult("modality", False, 0.0, detail)
    return CheckResult("modality", True, 1.0, f"names no modality other than {frame_modality}")


def diagnosis_narrated(
    answers: Sequence[str],
    narration: Sequence[str],
    frame_modality: str | None = None,
    derived: str = "narrated",
) -> CheckResult:
    """A diagnosis the answer affirms is named in the narration. With derived="hedged" one the narration does
    not name may also be hedged ("consistent with X") or quoted from a relation whose premise finding the
    narration asserts (and whose modality fits the frame); with "narrated" it may not: a trainer counts a
    hedged diagnosis the narrator never named as invented all the same."""
    told = {m.label for s in narration for m in polar_mentions(s) if m.kind == "diagnosis"}
    premises = [r for s in _sentences(narration) for r in relations_in(s)]
    invented: dict[str, None] = {}
    checked = 0
    for sentence in _sentences(answers):
        for said in polar_mentions(sentence):
            if said.kind != "diagnosis" or said.negated or said.label in told:
                continue
            checked += 1
            if derived == "narrated":
                invented.setdefault(f"'{said.surface}' (derived, not narrated)", None)
                continue
            cited = [r for r in premises if said.label in _diagnoses(r) and _fits(r, frame_modality)]
            quoted = any(_norm(r.statement) in _norm(sentence) for r in cited)
            if cited and (quoted or HEDGE.search(sentence)):
                continue
            why = "no narrated finding's relation leads to it" if not cited else "stated as fact"
            invented.setdefault(f"'{said.surface}' ({why})", None)
    if invented:
        detail = f"diagnosis not named in the narration: {', '.join(invented)}"
        return CheckResult("diagnosis", False, 0.0, detail)
    if derived == "narrated":
        return CheckResult("diagnosis", True, 1.0, "every diagnosis named is narrated")
    return CheckResult("diagnosis", True, 1.0, f"{checked} derived diagnosis(es), each hedged and cited")


def focus_addressed(turns: Sequence[Turn]) -> CheckResult:
    """A VQA answer names what its question asks about: a structure or finding in the question (or one of
    its family), or a modality when the question asks what kind of image it is."""
    question = next((t.text for t in turns if t.role == "human"), "")
    answer = " ".join(t.text for t in turns if t.role == "gpt")
    answered = {m.term.label for m in find_terms(answer, TERMS)}
    if _MODALITY_QUESTION.search(question):
        kinds = {m.term.kind for m in find_terms(answer, TERMS)}
        if "modality" in kinds:
            return CheckResult("focus", True, 1.0, "asks for the modality; the answer names one")
        return CheckResult("focus", False, 0.0, "asks for the modality; the answer names none")
    focus = {
        m.term.label for m in terms_of_kind(find_terms(question, TERMS), "anatomy", "finding", "diagnosis")
    }
    if not focus:
        return CheckResult("focus", True, None, "the question names no structure or finding")
    wanted = set(focus)
    for family in _FAMILIES:
        if focus & family:
            wanted |= family
    if answered & wanted:
        return CheckResult("focus", True, 1.0, f"answers about {', '.join(sorted(answered & wanted))}")
    other = ", ".join(sorted(answered)) or "nothing named"
    return CheckResult(
        "focus", False, 0.0, f"asks about {', '.join(sorted(focus))}; the answer is about {other}"
    )


def no_artefacts(turns: Sequence[Turn]) -> CheckResult:
    """No trace of the lecture's voice: audience address, slide references, greetings, thanks, channel or
    lecture talk, fillers anywhere; the narrator's first person in an answer."""
    found: dict[str, None] = {}
    for i, turn in enumerate(turns):
        for kind, pattern in _ARTEFACTS:
            if m := pattern.search(turn.text):
                found.setdefault(f"turn {i}: {kind} ('{m.group(0)}')", None)
        for m in find_terms(turn.text, NEGATIVE_TERMS):
            if m.term.label in _ARTEFACT_LABELS:
                found.setdefault(f"turn {i}: {m.term.label} ('{m.text}')", None)
        if turn.role == "gpt" and (m := _FIRST_PERSON.search(turn.text)):
            found.setdefault(f"turn {i}: narrator's first person ('{m.group(0)}')", None)
    if found:
        return CheckResult("no_artefacts", False, 0.0, "narration artefacts: " + "; ".join(found))
    return CheckResult("no_artefacts", True, 1.0, "no narration artefacts")


_STEP_SPLIT = re.compile(r"\b(?:step\s+\d+|observation|interpretation|conclusion)\s*[:.)]", re.IGNORECASE)


def cot_steps_distinct(answers: Sequence[str], sibling_answers: Sequence[str]) -> CheckResult:
    """No sentence of a chain of thought (steps and conclusion) is near-equal, by content words, to a
    sentence of another kind's answer about the same image: the chain must reason, not re-serve."""
    theirs = [(s, set(content_words(s))) for s in _sentences(sibling_answers)]
    theirs = [(s, words) for s, words in theirs if words]
    steps = [p.strip() for a in answers for p in _STEP_SPLIT.split(a) if p.strip()]
    worst = 0.0
    for n, step in enumerate(steps, 1):
        for sentence in split_sentences(step) or [step]:
            mine = set(content_words(sentence))
            if len(mine) < 2:
                continue
            for other, words in theirs:
                overlap = len(mine & words) / max(len(mine), len(words))
                worst = max(worst, overlap)
                if overlap >= MAX_STEP_OVERLAP:
                    detail = (
                        f"part {n} ('{_short(sentence)}') repeats another kind's answer ('{_short(other)}')"
                    )
                    return CheckResult("cot_copy", False, round(1 - overlap, 4), detail)
    return CheckResult(
        "cot_copy", True, round(1 - worst, 4), f"{len(steps)} part(s), none repeating another kind's answer"
    )


def conversation_depth(turns: Sequence[Turn]) -> CheckResult:
    """A conversation holds at least MIN_CONVERSATION_TURNS question-answer exchanges."""
    exchanges = sum(t.role == "gpt" for t in turns)
    passed = exchanges >= MIN_CONVERSATION_TURNS
    detail = f"{exchanges} question-answer turn(s) (at least {MIN_CONVERSATION_TURNS})"
    return CheckResult("depth", passed, float(exchanges), detail)


def _denied(text: str, match: TermMatch) -> bool:
    before = text[max(0, match.start - 40) : match.start].lower()
    return bool(re.search(r"\b(?:not|no|rather than|instead of|unlike)\b(?:\s+\w+){0,2}\s*$", before))


def _diagnoses(relation: Relation) -> set[str]:
    return {m.term.label for m in find_terms(relation.statement, TERMS) if m.term.kind == "diagnosis"}


def _fits(relation: Relation, frame_modality: str | None) -> bool:
    allowed = FRAME_MODALITY_TERMS.get(frame_modality or "")
    return relation.modality is None or allowed is None or relation.modality in allowed


def _sentences(texts: Sequence[str]) -> list[str]:
    return [s for t in texts for s in split_sentences(t)]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip().rstrip(".")


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


__all__ = ["RECORD_CHECKS", "RecordContext", "check_record"]
