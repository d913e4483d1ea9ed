"""Transcript-refinement contracts: a recognised sentence in, the corrected sentence and its edits out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

# No refiner may add or drop one of these, nor change a digit: the facts of a sentence stay as heard.
NEGATIONS = frozenset(
    "no not non nor never neither none nothing without absent absence negative cannot n't".split()
)
_DIGITS = re.compile(r"\d")
# Not ophin.text.tokens: which words this sees decides which edits the refiners refuse (RULES_VERSION).
_WORDS = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Correction:
    rule: str  # which rule made it: "spacing", "misheard", "vocabulary", "context", "llm"
    before: str  # raw[start:end]
    after: str
    start: int  # offsets in the raw sentence, so an edit can always be traced back to what was heard
    end: int
    # The recogniser's confidence in the heard word, when a rule acted because it was low.
    probability: float | None = None


@dataclass(frozen=True)
class HeardWord:
    """A recognised word's span in the sentence and the recogniser's probability for it."""

    start: int
    end: int
    probability: float


@dataclass(frozen=True)
class Refined:
    raw: str
    text: str
    corrections: tuple[Correction, ...]
    # Why the sentence must not become a training target (a doubtful word no rule could settle); None: keep.
    dropped: str | None = None


class TranscriptRefiner(Protocol):
    name: str
    version: str  # changes whenever the output could: code, data tables, word lists, prompt, model

    def refine(self, sentence: str, context: str = "", words: tuple[HeardWord, ...] = ()) -> Refined:
        """`context` is the neighbouring sentences of the same window; rules may read it, never edit it.
        `words`: the recogniser's per-word probabilities (spans in `sentence`) where it gave them."""
        ...


def keeps_invariants(before: str, after: str) -> bool:
    """True when an edit changes no digit and adds or drops no negation word."""
    if _DIGITS.findall(before) != _DIGITS.findall(after):
        return False
    negations = [w for w in _WORDS.findall(before.lower()) if w in NEGATIONS]
    return negations == [w for w in _WORDS.findall(after.lower()) if w in NEGATIONS]


def apply_corrections(raw: str, corrections: tuple[Correction, ...]) -> str:
    """Splice non-overlapping corrections (raw offsets) into the raw sentence."""
    out: list[str] = []
    pos = 0
    for c in sorted(corrections, key=lambda c: c.start):
        if c.start < pos or raw[c.start : c.end] != c.before:
            raise ValueError(f"correction {c} overlaps another or does not match the raw text")
        out += [raw[pos : c.start], c.after]
        pos = c.end
    out.append(raw[pos:])
    return "".join(out)


class NullRefiner:
    """Leaves every sentence as recognised: the 'none' backend."""

    name = "none"
    version = "1"

    def refine(self, sentence: str, context: str = "", words: tuple[HeardWord, ...] = ()) -> Refined:
        return Refined(raw=sentence, text=sentence, corrections=())
