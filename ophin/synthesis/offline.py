"""Offline instruction generator: templated questions, answers copied from the visual-cue sentences only."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from ophin.cues.lexicon import TERMS, TermMatch, find_terms, terms_of_kind
from ophin.synthesis.base import KINDS, GeneratedInstruction, InstructionKind, PairContext, Turn

MAX_CONVERSATION_PAIRS = 8

# What a lecturer says to point at the screen carries no content for a reader of the answer.
_FILLER = r"(?:(?:and|so|now|okay|ok|well|also|um|uh|right|then|again|alright|all right)\b[,\s]*)"
_DEICTIC_LEAD = (
    r"(?:(?:as |here |now |so |and |again )?(?:you|we) can (?:also |clearly |probably |actually |now )?"
    r"(?:see|appreciate|notice)|as you can see|(?:here )?(?:you|we) see|notice|note|look at"
    r"|if you look(?: at)?|here (?:is|are|we have)|here's|here"
    r"|in this (?:\w+ ){0,2}(?:image|photo|photograph|picture|scan|slide|video|case|example|one)"
    r"|(?:if we |when we |now )?zoom(?:ing)? in|looking (?:more )?closely"
    r"|on the (?:left|right)(?: side)?"
    r"|on (?:the|this) (?:oct(?: scan)?|scan|image|photo|photograph|picture|angiogram"
    r"|fundus(?: photo(?:graph)?)?))"
)
_LEAD = re.compile(rf"^{_FILLER}*{_DEICTIC_LEAD}\b(?:\s*(?:that|how)\b)?[\s,:;-]*", re.IGNORECASE)
_FILLER_ONLY = re.compile(rf"^{_FILLER}+", re.IGNORECASE)
_TRAILING = re.compile(r"[\s.,;:!?…-]+$")
_SPACES = re.compile(r"\s+")
_ACRONYM = re.compile(
    r"^(?:rpe|cnvm?|peds?|irf|srf|r?nfl|gcl|elm|cdr|irma|nv[de]|n?pdr|amd|[cb]r[va]o|cscr?)$", re.IGNORECASE
)
_MIN_WORDS_AFTER_STRIP = 3
# "What about the cystic?" reads badly: adjective forms are asked about by their lexicon label instead.
_ADJECTIVE = re.compile(r"(?:ic|al|ous|ed|ar|ary|ive|en|oid|pale)$", re.IGNORECASE)

_NOUNS = {
    "fundus photograph": "fundus photograph",
    "oct": "OCT scan",
    "angiogram": "angiogram",
    "autofluorescence": "autofluorescence image",
    "slit lamp": "slit-lamp photograph",
    "ultrasound": "ultrasound image",
    "visual field": "visual field test",
}
_VQA = (
    "What can be seen in this {noun}?",
    "What does this {noun} show?",
    "Describe the findings in this {noun}.",
)
_VQA_ABNORMAL = "What abnormality is visible in this {noun}?"
_VQA_FOCUS = "Describe the appearance of the {term} in this {noun}."
_CONV_FIRST = "What can you tell me about the {term} in this {noun}?"
_CONV_FIRST_GENERIC = "What does this {noun} show?"
_CONV_NEXT = "What about the {term}?"
_CONV_DIAGNOSIS_FIRST = "What is the likely diagnosis based on this {noun}?"
_CONV_DIAGNOSIS = "What is the likely diagnosis?"
_CONV_ELSE = "What else can be seen in this {noun}?"
_COT_QUESTION = "Examine this {noun} step by step and summarise the key finding."


class OfflineCueGenerator:
    """Deterministic and invents nothing: every answer word comes from ctx.cues except the 'Step n:' and
    'Conclusion:' frames."""

    name = "offline-cue-template"
    version = "1"
    model = "offline-cue-template"

    def config(self) -> dict[str, object]:
        return {"name": self.name, "version": self.version}

    def generate(self, ctx: PairContext, kind: InstructionKind) -> GeneratedInstruction:
        if kind not in KINDS:
            raise ValueError(f"unknown instruction kind {kind!r}; expected one of {KINDS}")
        cues = _unique(normalize_cue(c) for c in ctx.cues if c and c.strip())
        if not cues:
            raise ValueError(f"pair {ctx.pair_id}: no visual-cue sentences to build an instruction from")
        matches = [find_terms(c, TERMS) for c in cues]
        # Raw cues, because normalising strips "on the OCT ..." which is exactly where the modality is named.
        noun = _noun([find_terms(c, TERMS) for c in ctx.cues])
        if kind == "vqa":
            turns = _vqa(ctx.pair_id, cues, matches, noun)
        elif kind == "conversation":
            turns = _conversation(cues, matches, noun)
        else:
            turns = _cot(cues, matches, noun)
        return GeneratedInstruction(
            kind=kind, turns=turns, generator=self.name, generator_version=self.version, prompt_version=None
        )


def normalize_cue(sentence: str) -> str:
    """Drop leading fillers and pointing phrases ("so here you can see", "notice that"), capitalise, end with
    a period. Only removes words, so the result stays grounded in the spoken sentence."""
    text = _SPACES.sub(" ", sentence).strip()
    stripped = text
    for _ in range(3):  # "so, on the left, you can see ..." takes more than one pass
        candidate = _LEAD.sub("", stripped, count=1)
        if candidate == stripped:
            break
        stripped = candidate
    stripped = _FILLER_ONLY.sub("", stripped)
    if len(stripped.split()) >= _MIN_WORDS_AFTER_STRIP:
        text = stripped
    text = _TRAILING.sub("", text)
    if not text:
        return ""
    return text[0].upper() + text[1:] + "."


def _vqa(pair_id: str, cues: list[str], matches: list[list[TermMatch]], noun: str) -> tuple[Turn, ...]:
    templates = list(_VQA)
    if any(terms_of_kind(m, "finding", "diagnosis") for m in matches):
        templates.append(_VQA_ABNORMAL)
    topics = {_topic(m) for m in matches}
    focus = _topic(matches[0])
    if focus is not None and len(topics) == 1:
        templates.append(_VQA_FOCUS)
    question = templates[_pick(pair_id, "vqa", len(templates))].format(noun=noun, term=focus)
    return (Turn("human", question), Turn("gpt", " ".join(cues)))


def _conversation(cues: list[str], matches: list[list[TermMatch]], noun: str) -> tuple[Turn, ...]:
    turns: list[Turn] = []
    asked: set[str] = set()
    pairs = list(zip(cues, matches, strict=True))[:MAX_CONVERSATION_PAIRS]
    for i, (cue, found) in enumerate(pairs):
        term = _topic(found)
        is_diagnosis = bool(term) and _topic_kind(found) == "diagnosis"
        if is_diagnosis and "<diagnosis>" not in asked:
            question = (_CONV_DIAGNOSIS_FIRST if i == 0 else _CONV_DIAGNOSIS).format(noun=noun)
            asked.add("<diagnosis>")
        elif i == 0:
            question = (_CONV_FIRST if term else _CONV_FIRST_GENERIC).format(term=term, noun=noun)
        elif term and term not in asked and not is_diagnosis:
            question = _CONV_NEXT.format(term=term)
        else:
            question = _CONV_ELSE.format(noun=noun)
        if term:
            asked.add(term)
        turns += [Turn("human", question), Turn("gpt", cue)]
    return tuple(turns)


def _cot(cues: list[str], matches: list[list[TermMatch]], noun: str) -> tuple[Turn, ...]:
    conclusion = _conclusion_index(matches)
    steps = [c for i, c in enumerate(cues) if i != conclusion] or [cues[conclusion]]
    lines = [f"Step {n}: {step}" for n, step in enumerate(steps, start=1)]
    lines.append(f"Conclusion: {cues[conclusion]}")
    return (Turn("human", _COT_QUESTION.format(noun=noun)), Turn("gpt", "\n".join(lines)))


def _conclusion_index(matches: list[list[TermMatch]]) -> int:
    # A named diagnosis is the natural conclusion; failing that, a pathological sign; else the last cue.
    for kinds in (("diagnosis",), ("finding",)):
        hits = [i for i, m in enumerate(matches) if terms_of_kind(m, *kinds)]
        if hits:
            return hits[-1]
    return len(matches) - 1


def _noun(matches: Sequence[Sequence[TermMatch]]) -> str:
    for found in matches:
        for m in terms_of_kind(found, "modality"):
            return _NOUNS.get(m.term.label, "image")
    return "image"


def _topic(found: Sequence[TermMatch]) -> str | None:
    """The first finding, diagnosis or anatomy named in a cue, as spoken (British/American spelling kept),
    or its lexicon label when spoken as an adjective ("cystic" -> "cyst", "tortuous" -> "tortuosity")."""
    hits = terms_of_kind(found, "anatomy", "finding", "diagnosis")
    if not hits:
        return None
    text = _SPACES.sub(" ", hits[0].text)
    if _ACRONYM.match(text):
        return text.upper()
    if _ADJECTIVE.search(text):
        return hits[0].term.label
    return text.lower()


def _topic_kind(found: Sequence[TermMatch]) -> str | None:
    hits = terms_of_kind(found, "anatomy", "finding", "diagnosis")
    return hits[0].term.kind if hits else None


def _pick(pair_id: str, salt: str, n: int) -> int:
    # Stable across runs and machines (unlike hash()), yet varied across pairs.
    return int(hashlib.sha256(f"{pair_id}:{salt}".encode()).hexdigest()[:8], 16) % n


def _unique(items: Iterable[str]) -> list[str]:
    # Whisper sometimes repeats a sentence verbatim across segment boundaries.
    seen: dict[str, str] = {}
    for item in items:
        if item and item.lower() not in seen:
            seen[item.lower()] = item
    return list(seen.values())
