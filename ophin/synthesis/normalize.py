"""Cue sentences made ready for a record: pointing leads, fillers and narration artefacts removed."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import resources

from ophin.cues.lexicon import TERMS, find_terms
from ophin.domains.pack import current

# What a lecturer says to point at the screen carries no content for a reader of the answer.
# The lecture's order ("finally", "for comparison") is no part of what the picture shows (labelled leftovers).
_FILLER = (
    r"(?:(?:and|so|now|okay|ok|well|also|um|uh|right|then|again|alright|all right|finally|lastly"
    r"|next(?!\s+to\b)|meanwhile|(?:for|by|in) comparison|(?:by|in) contrast)\b[,\s]*)"
)
# What a lecturer calls a picture: any talk's words, then the specialty's (the pack's picture_words).
_PICTURE = "|".join(("scan", "image", "photo", "photograph", "picture", *current().wording.picture_words))
_DEICTIC_LEAD = (
    r"(?:(?:as |here |now |so |and |again )?(?:you|we) can (?:also |clearly |probably |actually |now )?"
    r"(?:see|appreciate|notice)|as you can see|(?:here )?(?:you|we) see|notice|note|look at"
    r"|if you look(?: at)?|here (?:is|are|we have)|here's|here"
    r"|in this (?:\w+ ){0,2}(?:image|photo|photograph|picture|scan|slide|video|case|example|one)"
    r"|(?:if we |when we |now )?zoom(?:ing)? in|looking (?:more )?closely"
    r"|on the (?:left|right)(?: side)?"
    rf"|on (?:the|this) (?:{_PICTURE}))"
)
_LEAD = re.compile(rf"^{_FILLER}*{_DEICTIC_LEAD}\b(?:\s*(?:that|how)\b)?[\s,:;-]*", re.IGNORECASE)
_FILLER_ONLY = re.compile(rf"^{_FILLER}+", re.IGNORECASE)
_TRAILING = re.compile(r"[\s.,;:!?…-]+$")
_SPACES = re.compile(r"\s+")
_MIN_WORDS_AFTER_STRIP = 3
_ARTEFACT_FILE = "narration_artefacts.txt"


@cache
def artefact_patterns() -> tuple[str, ...]:
    """The narration-artefact list (data beside this module): one regex a line, '#' comments."""
    text = resources.files("ophin.synthesis").joinpath(_ARTEFACT_FILE).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def _artefacts() -> re.Pattern[str]:
    # Longest first, so "as you can see" goes before "you can see" leaves "as" behind.
    alternatives = sorted(artefact_patterns(), key=len, reverse=True)
    # A comma before a parenthetical artefact goes with it: "the disc, as you can see, is swollen".
    return re.compile(rf"(?:,\s*)?(?<![\w'])(?:{'|'.join(alternatives)})(?![\w'])[\s,:;-]*", re.IGNORECASE)


def artefacts_digest() -> str:
    return hashlib.sha256("\n".join(artefact_patterns()).encode()).hexdigest()[:12]


def find_artefacts(text: str) -> list[str]:
    """The narration artefacts a text holds, as written (for tests and reports)."""
    return [m.group(0).strip(" ,:;-") for m in _artefacts().finditer(text)]


def normalize_cue(sentence: str) -> str:
    """Drop leading fillers and pointing phrases ("so here you can see", "notice that"), then every narration
    artefact anywhere in the sentence; capitalise, end with a period. Only removes words, so the result stays
    grounded in the spoken sentence. "" when nothing about the picture is left (a greeting)."""
    text = _SPACES.sub(" ", sentence).strip()
    stripped = text
    for _ in range(3):  # "so, on the left, you can see ..." takes more than one pass
        candidate = _LEAD.sub("", stripped, count=1)
        if candidate == stripped:
            break
        stripped = candidate
    stripped = _FILLER_ONLY.sub("", stripped)
    # "In this fundus photograph of the right eye, the disc ...": the lead is part of a longer phrase.
    if len(stripped.split()) >= _MIN_WORDS_AFTER_STRIP and not re.match(r"of\b", stripped, re.I):
        text = stripped
    text = _clean(_FILLER_ONLY.sub("", _artefacts().sub(" ", text)))
    words = text.split()
    # A short remainder stands only when it still names something in the eye ("you can see drusen").
    if not words or (len(words) < _MIN_WORDS_AFTER_STRIP and not find_terms(text, TERMS)):
        return ""
    return text[0].upper() + text[1:] + "."


def _clean(text: str) -> str:
    text = re.sub(r"\s+([,;:])", r"\1", _SPACES.sub(" ", text))
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"^[\s,;:.-]+", "", text)
    return _TRAILING.sub("", text).strip()
