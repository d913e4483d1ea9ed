"""The offline generator's fixed wording: questions, answer frames (every word an answer may add to cue and
relation text) and the small text helpers that fill them."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence

from ophin.domains.pack import current
from ophin.synthesis.modality import NEUTRAL_NOUN, NOUNS
from ophin.synthesis.normalize import artefacts_digest
from ophin.synthesis.reading import ABNORMAL, INTERPRETIVE, NORMAL, SOFT_FINDINGS, Cue

_PROPER = frozenset(current().wording.proper_words)  # eponyms and products: kept capitalised
_PLURALS = frozenset(current().wording.plural_nouns)  # plurals with no -s

# Questions: free wording, never checked against the cues. Each names its focus ({topic}) where it has one.
VQA_PRESENT = ("{is_there} any {topic} in this {noun}?", "Does this {noun} show any {topic}?")
VQA_DESCRIBE = (
    "Describe the {topic} in this {noun}.",
    "What {does} the {topic} look like in this {noun}?",
    "How {does} the {topic} appear in this {noun}?",
)
# Without a focus term (no finding or structure narrated): the picture as a whole.
VQA_STATUS = ("Is this {noun} normal or abnormal?", "Does this {noun} look normal?")
VQA_WHOLE = ("What does this {noun} show?", "What can be seen in this {noun}?")
VQA_MODALITY = ("What kind of image is this?", "Which imaging modality is shown here?")
CONV_OVERVIEW = ("What does this {noun} show?", "What kind of image is this?", "What are we looking at here?")
CONV_FINDING = (
    "What can you tell me about the {topic}{where}?",
    "Describe the {topic}{where}.",
    "What is notable about the {topic}{where}?",
    "How {does} the {topic} look{where}?",
)
CONV_STRUCTURE = ("How {does} the {topic} look{where}?", "What about the {topic}{where}?")
CONV_DIAGNOSIS = ("What is the likely diagnosis{where}?", "How would you interpret these findings{where}?")
COT_QUESTION = (
    "Examine this {noun} step by step and summarise the key finding.",
    "Work through this {noun} step by step: what do you observe, and what does it suggest?",
    "Reason step by step about this {noun} and give a conclusion.",
)
# Answer frames. {findings}: "the a and the b"; {are}: "is" or "are" to agree with it.
A_STATUS = "{verdict}: {cues}."
A_VERDICTS = ("Normal", "Abnormal")
A_NO = "No: {cues}."
A_YES = "Yes: {cues}."  # a yes/no question about a narrated finding is answered yes, then how it looks
A_THIS_IS = ("This is {cue}.", "It is {cue}.")
A_REFRAME = (
    "In this {noun}, {cue}.",
    "Looking at this {noun}, {cue}.",
    "Here, {cue}.",
    "On this {noun}: {cue}.",
)
A_OBSERVE_FINDINGS = "Observation: this {noun} shows {findings}"
A_OBSERVE_STRUCTURES = "Observation: this {noun} shows the {structures}"
A_OBSERVE_NONE = ", with no {denied}"
A_OBSERVE_NORMAL = "Observation: in this {noun}, the {structures} appear normal"
A_OBSERVE_FALLBACK = "Observation: this {noun} is examined feature by feature"
# Derived from a cited relation: what the finding is consistent with, and why (the relation's statement).
A_INTERPRET_SIGN = "Interpretation: {statement}; so {finding} {is} consistent with {indicates}."
A_INTERPRET_NORMAL = "Interpretation: {statement}."
A_INTERPRET_COMPARE = "Interpretation: for comparison, {statement}."
A_INTERPRET_OPEN = (
    "Interpretation: {findings} {are} abnormal, but on {its} own {it} does not point to one cause."
)
A_INTERPRET_NOTHING = "Interpretation: with no abnormal feature, there is nothing to explain."
A_CONCLUDE_NARRATED = (
    "Conclusion: the diagnosis is {diagnosis}, with {findings} seen on this {noun}.",
    "Conclusion: with {findings} on this {noun}, the diagnosis is {diagnosis}.",
)
A_CONCLUDE_NARRATED_ONLY = "Conclusion: the diagnosis is {diagnosis}."
A_CONCLUDE_DERIVED = (
    "Conclusion: taken together, this {noun} is consistent with {meaning}, to be confirmed clinically.",
    "Conclusion: the picture is consistent with {meaning}; a clinical examination would confirm it.",
)
A_CONCLUDE_NORMAL = (
    "Conclusion: no abnormality is identified; this is a normal {noun}.",
    "Conclusion: this is a normal {noun}, with no abnormality identified.",
)
A_CONCLUDE_OPEN = (
    "Conclusion: this {noun} is abnormal; its cause cannot be settled from the picture alone.",
    "Conclusion: an abnormal {noun} whose cause needs more than this picture.",
)
A_CONCLUDE_FALLBACK = "Conclusion: these observations summarise what this {noun} shows."
ARE = ("is", "are")

# Every fixed word an answer may contain besides cue and relation text: for the verifier and the tests.
ANSWER_FRAMES: tuple[str, ...] = (
    A_STATUS, *A_VERDICTS, A_NO, A_YES, *A_THIS_IS, *A_REFRAME, A_OBSERVE_FINDINGS, A_OBSERVE_STRUCTURES,
    A_OBSERVE_NONE, A_OBSERVE_NORMAL, A_OBSERVE_FALLBACK, A_INTERPRET_SIGN, A_INTERPRET_NORMAL,
    A_INTERPRET_COMPARE, A_INTERPRET_OPEN, A_INTERPRET_NOTHING, *A_CONCLUDE_NARRATED,
    A_CONCLUDE_NARRATED_ONLY,
    *A_CONCLUDE_DERIVED, *A_CONCLUDE_NORMAL, *A_CONCLUDE_OPEN, A_CONCLUDE_FALLBACK, "Step", "the", "and",
    "its", "their", "it", "they", "do", *ARE, *NOUNS.values(), NEUTRAL_NOUN,
)  # fmt: skip
QUESTIONS = (
    VQA_PRESENT, VQA_DESCRIBE, VQA_STATUS, VQA_WHOLE, VQA_MODALITY, CONV_OVERVIEW, CONV_FINDING,
    CONV_STRUCTURE,
    CONV_DIAGNOSIS, COT_QUESTION,
)  # fmt: skip
TEMPLATES_DIGEST = hashlib.sha256(
    json.dumps(
        [
            ANSWER_FRAMES,
            QUESTIONS,
            NORMAL.pattern,
            ABNORMAL.pattern,
            INTERPRETIVE.pattern,
            sorted(SOFT_FINDINGS),
            artefacts_digest(),
        ]
    ).encode()
).hexdigest()[:12]


def fill(template: str, subjects: Sequence[str], **slots: str) -> str:
    """Fill {findings}/{Findings} ('the a and the b'), {are}, {its} and {it}, which agree with them."""
    plural = len(subjects) > 1 or (bool(subjects) and is_plural(subjects[0]))
    listed = and_([f"the {s}" for s in subjects])
    text = template.format(
        findings=listed,
        Findings=cap(listed),
        are=ARE[plural],
        its=("their" if plural else "its"),
        it=("they" if plural else "it"),
        **slots,
    )
    return cap(text.replace("they does not", "they do not"))


def said(cues: Sequence[Cue]) -> str:
    """The cues as spoken, a sentence each: two cues glued with ";" read as one sentence that no single
    sentence of the narration supports."""
    return " ".join(cap(embed(c.text)) + "." for c in cues)


def embed(sentence: str) -> str:
    """A sentence made ready to sit inside another: no final stop, lower-case first word unless it is an
    acronym or a name."""
    text = sentence.strip().rstrip(".!?")
    first = text.split(" ", 1)[0]
    if first.isupper() and len(first) > 1 or any(ch.isdigit() for ch in first) or first.lower() in _PROPER:
        return text
    return text[:1].lower() + text[1:]


def and_(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_QUALIFIER = re.compile(
    r"\s+(?:of|at|in|around|within|above|below|near|along|on|under|beneath|over|across|from)\s+", re.I
)


def is_plural(phrase: str) -> bool:
    # The head noun stands before a qualifier: "the cotton wool spots at the bottom" is plural.
    head = _QUALIFIER.split(phrase)[0]
    last = head.split()[-1].lower()
    return last in _PLURALS or (last.endswith("s") and not last.endswith(("ss", "us", "is")))


def topic_slots(topic: str) -> dict[str, str]:
    plural = is_plural(topic)
    return {
        "topic": topic,
        "is_there": "Are there" if plural else "Is there",
        "does": "do" if plural else "does",
    }


def rotate(templates: Sequence[str], seed: str) -> list[str]:
    start = pick(seed, "rotate", len(templates))
    return [*templates[start:], *templates[:start]]


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def pick(pair_id: str, salt: str, n: int) -> int:
    # Stable across runs and machines (unlike hash()), yet varied across pairs.
    return int(hashlib.sha256(f"{pair_id}:{salt}".encode()).hexdigest()[:8], 16) % n


_MARK = re.compile(r"^(?:step\s+\d+\s*:|conclusion\s*:|observation\s*:|interpretation\s*:)\s*", re.I)


class Ledger:
    """Sentences already written for this image: no answer sentence repeats verbatim across its kinds."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def take(self, candidates: Sequence[str]) -> str:
        chosen = next((c for c in candidates if not self.seen & set(self.sentences(c))), candidates[0])
        self.seen.update(self.sentences(chosen))
        return chosen

    @classmethod
    def sentences(cls, text: str) -> list[str]:
        out = []
        for line in text.split("\n"):
            for sentence in re.split(r"(?<=[.!?])\s+", line.strip()):
                body = re.sub(r"[^\w\s]|_", " ", _MARK.sub("", sentence).lower())
                if body.split():
                    out.append(" ".join(body.split()))
        return out
