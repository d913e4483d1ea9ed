"""Visual-cue verdicts, the scorer protocol, and a sentence splitter that tolerates Whisper output."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ophin.llm.client import LlmCall


@dataclass(frozen=True)
class CueVerdict:
    sentence: str
    is_visual: bool
    score: float  # 0..1
    reason: str  # human-readable list of every contribution to the score
    model: str | None = None  # the LLM that decided; None for the rule scorer (or its pre-filter)
    prompt_version: str | None = None
    llm: LlmCall | None = None  # the request (shared by the sentences scored in one batch)


@dataclass(frozen=True)
class CueContext:
    """What a scorer may look at besides the sentences: the window's whole text and its frame."""

    transcript: str = ""
    image: bytes | None = None


class CueScorer(Protocol):
    name: str
    version: str  # everything that changes verdicts (for an LLM: model, prompt, sampling)

    def score(self, sentences: Sequence[str], context: CueContext | None = None) -> list[CueVerdict]:
        """One verdict per sentence, in order. An LLM scorer raises MalformedOutputError (a ValueError) or
        openai.OpenAIError when it could not get verdicts."""
        ...


# A period after one of these does not end a sentence ("e.g." is kept whole via its last dotted part).
_ABBREVIATIONS = frozenset(
    {
        "e.g",
        "i.e",
        "eg",
        "ie",
        "dr",
        "drs",
        "mr",
        "mrs",
        "ms",
        "prof",
        "vs",
        "fig",
        "figs",
        "approx",
        "cf",
        "al",
        "st",
        "mt",
        "jr",
        "sr",
        "dept",
        "resp",
        "incl",
    }
)
# Sentence-final in practice unless a lowercase word follows ("drusen, exudates etc. are seen").
_SOFT_ABBREVIATIONS = frozenset({"etc"})
# Only an abbreviation before a number ("No. 5"), otherwise the word "no".
_NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "vol", "fig", "figs", "p", "pp"})

_BOUNDARY = re.compile(r"[.?!…]+[\"'”’)\]]*(?=\s|$)")
_TOKEN_BEFORE = re.compile(r"([A-Za-z](?:[A-Za-z.]*[A-Za-z])?)$")
_SPACES = re.compile(r"\s+")


def split_sentences(text: str) -> list[str]:
    """Split on '.', '?', '!' (and '…') followed by whitespace or the end, keeping abbreviations such as
    "e.g.", "Dr." and "vs." intact; decimals like "0.7" never split because no space follows the dot.
    Whitespace (including Whisper's segment newlines) is collapsed; empty pieces are dropped."""
    text = _SPACES.sub(" ", text or "").strip()
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if _is_abbreviation(text, m):
            continue
        piece = text[start : m.end()].strip()
        if _has_words(piece):
            sentences.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if _has_words(tail):
        sentences.append(tail)
    return sentences


def _is_abbreviation(text: str, m: re.Match[str]) -> bool:
    if m.group(0) != ".":
        return False  # '?', '!', '...' or a closing quote always end the sentence
    before = _TOKEN_BEFORE.search(text[: m.start()])
    if before is None:
        return False
    token = before.group(1).lower()
    following = text[m.end() :].lstrip()
    if token in _SOFT_ABBREVIATIONS:
        return bool(following) and following[0].islower()
    if token in _NUMBER_ABBREVIATIONS and following[:1].isdigit():
        return True
    if token in _ABBREVIATIONS:
        return True
    # Dotted initialisms such as "e.g" or "a.m" that are not in the list still read as abbreviations.
    return "." in token and len(token.replace(".", "")) <= 4


def _has_words(piece: str) -> bool:
    return any(ch.isalnum() for ch in piece)
