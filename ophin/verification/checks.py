"""Per-instruction verification: grounded in the cues, no source leakage, sane length, well-formed turns."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ophin.synthesis.base import Turn

CHECKS = ("grounded", "no_leakage", "length", "well_formed")


@dataclass(frozen=True)
class CheckResult:
    check: str  # "grounded" | "no_leakage" | "length" | "well_formed"
    passed: bool
    score: float | None
    detail: str


@dataclass(frozen=True)
class CheckParams:
    min_answer_chars: int = 20
    max_answer_chars: int = 1500
    # Fraction of answer content words (lowercased, stopwords removed, plurals stemmed) found in the cue text.
    min_grounding: float = 0.6

    def __post_init__(self) -> None:
        if not 0 <= self.min_answer_chars <= self.max_answer_chars:
            raise ValueError(f"need 0 <= min_answer_chars <= max_answer_chars, got {self}")
        if not 0.0 <= self.min_grounding <= 1.0:
            raise ValueError(f"min_grounding must be within [0, 1], got {self.min_grounding}")


_LEAKAGE = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bthe speaker\b",
        r"\bspeaker (?:says|said|mentions|mentioned|explains|notes)\b",
        r"\bnarrat(?:or|ion)\b",
        r"\btranscripts?\b",
        r"\bin (?:this|the) video\b",
        r"\bthis (?:lecture|talk)\b",
        r"\bthe lecturer\b",
        r"\bas (?:previously |already |i |we )?(?:mentioned|said|discussed)\b",
        r"\bthe presenter\b",
        r"\b(?:he|she|they) said\b",
        r"\bsubscrib(?:e|ed|ing)\b",
    )
)
# Offline answers wrap cue sentences in these frames; they are ours, not claims about the image.
_FRAME_WORDS = frozenset({"step", "observation", "conclusion"})
# Function words, plus the presentational verbs any description uses ("is seen", "shows"): no facts in them.
_STOPWORDS = frozenset(
    """
a about above after again against all also am an and any are around as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my
myself no nor not now of off on once only or other our ours ourselves out over own same she should so some
such than that the their theirs them themselves then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your yours yourself
yourselves one ones may might must us let lets okay ok um uh well quite really actually see seen shows
show shown showing visible appears appear appearance image picture noted present within
""".split()
)
_TOKEN = re.compile(r"[^\W_]+")
_PUNCT = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")
_MAX_LISTED = 8


def check_instruction(turns: Sequence[Turn], cues: Sequence[str], params: CheckParams) -> list[CheckResult]:
    """All four checks, always in CHECKS order, so callers can store them positionally or by name."""
    answers = [t.text for t in turns if t.role == "gpt"]
    return [
        _grounded(answers, cues, params),
        _no_leakage(turns),
        _length(answers, params),
        _well_formed(turns),
    ]


def fingerprint(turns: Sequence[Turn]) -> str:
    """sha256 of roles + normalised text, so case, spacing and punctuation variants collide as duplicates."""
    canonical = "\n".join(f"{t.role}\t{_normalize(t.text)}" for t in turns)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def content_words(text: str) -> list[str]:
    """Lowercased, stemmed content words in order of first appearance (no stopwords, frames or numbers)."""
    words: dict[str, None] = {}
    for token in _TOKEN.findall(text.lower()):
        if len(token) < 2 or token.isdigit() or token in _STOPWORDS or token in _FRAME_WORDS:
            continue
        words.setdefault(_stem(token), None)
    return list(words)


def _grounded(answers: Sequence[str], cues: Sequence[str], params: CheckParams) -> CheckResult:
    if not answers:
        return CheckResult("grounded", False, 0.0, "no gpt turns to ground")
    answer_words = content_words(" ".join(answers))
    if not answer_words:
        return CheckResult("grounded", True, 1.0, "answers hold no content words")
    cue_words = set(content_words(" ".join(cues)))
    missing = [w for w in answer_words if w not in cue_words]
    score = round(1 - len(missing) / len(answer_words), 4)
    detail = f"{len(answer_words) - len(missing)}/{len(answer_words)} answer content words found in cues"
    if missing:
        listed = ", ".join(f"'{w}'" for w in missing[:_MAX_LISTED])
        more = f" (+{len(missing) - _MAX_LISTED} more)" if len(missing) > _MAX_LISTED else ""
        detail += f"; not in cues: {listed}{more}"
    return CheckResult("grounded", score >= params.min_grounding, score, detail)


def _no_leakage(turns: Sequence[Turn]) -> CheckResult:
    found: dict[str, None] = {}
    for turn in turns:
        for pattern in _LEAKAGE:
            for m in pattern.finditer(turn.text):
                found.setdefault(m.group(0).lower(), None)
    if found:
        phrases = ", ".join(f"'{p}'" for p in found)
        return CheckResult("no_leakage", False, None, f"reveals the source: {phrases}")
    return CheckResult("no_leakage", True, None, "no source-revealing phrases")


def _length(answers: Sequence[str], params: CheckParams) -> CheckResult:
    if not answers:
        return CheckResult("length", False, None, "no gpt turns")
    lengths = [len(a.strip()) for a in answers]
    problems = [
        f"gpt turn {i} has {n} chars (< {params.min_answer_chars})"
        if n < params.min_answer_chars
        else f"gpt turn {i} has {n} chars (> {params.max_answer_chars})"
        for i, n in enumerate(lengths)
        if not params.min_answer_chars <= n <= params.max_answer_chars
    ]
    if problems:
        return CheckResult("length", False, None, "; ".join(problems))
    detail = f"{len(lengths)} gpt turn(s), {min(lengths)}-{max(lengths)} chars"
    return CheckResult("length", True, None, detail)


def _well_formed(turns: Sequence[Turn]) -> CheckResult:
    if not turns:
        return CheckResult("well_formed", False, None, "no turns")
    for i, turn in enumerate(turns):
        expected = "human" if i % 2 == 0 else "gpt"
        if turn.role != expected:
            detail = f"turn {i} is {turn.role!r}, expected {expected!r}"
            return CheckResult("well_formed", False, None, detail)
        if not turn.text or not turn.text.strip():
            return CheckResult("well_formed", False, None, f"turn {i} ({turn.role}) is empty")
    if turns[-1].role != "gpt":
        return CheckResult("well_formed", False, None, "last turn is not a gpt answer")
    return CheckResult("well_formed", True, None, f"{len(turns)} alternating turns, human first, gpt last")


def _stem(word: str) -> str:
    # Plural folding only: enough to match "haemorrhages" to "haemorrhage" without a stemmer dependency.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _normalize(text: str) -> str:
    return _SPACES.sub(" ", _PUNCT.sub(" ", text.lower())).strip()


_STEP = re.compile(r"Step\s+\d+\s*:\s*(.+?)(?=Step\s+\d+\s*:|Conclusion\s*:|$)", re.IGNORECASE | re.DOTALL)
_CONCLUSION = re.compile(r"Conclusion\s*:\s*(.+)$", re.IGNORECASE | re.DOTALL)


def check_reasoning(turns: Sequence[Turn]) -> CheckResult:
    """Chain-of-thought only: 'Step n:' observations and a 'Conclusion:' that is not a copy of them."""
    answer = next((t.text for t in reversed(turns) if t.role == "gpt"), "")
    steps = [_normalize(s) for s in _STEP.findall(answer)]
    conclusion = _CONCLUSION.search(answer)
    if not steps or conclusion is None:
        return CheckResult("reasoning", False, None, "needs 'Step n:' lines and a 'Conclusion:'")
    ending = _normalize(conclusion.group(1))
    novel = [s for s in steps if s and s != ending]
    if not novel:
        return CheckResult("reasoning", False, 0.0, "the conclusion only repeats its single step")
    return CheckResult(
        "reasoning", True, len(novel) / len(steps), f"{len(steps)} step(s) before the conclusion"
    )
