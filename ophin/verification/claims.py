"""What an answer asserts, in a comparable form: lexicon terms with their polarity, and normalised numbers."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ophin.cues.lexicon import TERMS, find_terms, terms_of_kind
from ophin.text.negation import denies_claim

POLAR_KINDS = ("anatomy", "finding", "diagnosis")


@dataclass(frozen=True)
class Mention:
    label: str  # the lexicon label ("oedema" for "macular edema", "swollen", ...)
    kind: str
    surface: str  # spelling-normalised text as written ("macular edema")
    negated: bool


@functools.lru_cache(maxsize=4096)
def polar_mentions(text: str) -> tuple[Mention, ...]:
    """Every anatomy/finding/diagnosis term in text, with whether its own clause denies it. Cached: the
    same cues and knowledge are read once for each of the instructions built from them."""
    matches = terms_of_kind(find_terms(text, TERMS), *POLAR_KINDS)
    spans = [(m.start, m.end) for m in matches]
    return tuple(
        Mention(
            m.term.label, m.term.kind, normalize_spelling(m.text), denies_claim(text, m.start, m.end, spans)
        )
        for m in matches
    )


_SPELLING = (
    (re.compile(r"ae(?=m|s|n)"), "e"),  # haemorrhage, anaesthesia, anaemia
    (re.compile(r"(?<![a-z])oe(?=d|s)"), "e"),  # oedema, oesophagus
    (re.compile(r"(?<=[a-z])oe(?=d)"), "e"),  # papilloedema
    # -ise verbs only after these endings: "localised", "organised", not "otherwise" or "precise".
    (re.compile(r"(?<=al|ar|an|gn|er|at|ic|it|ol|il)is(?=ation|e[sd]?\b|ing\b)"), "iz"),
    (re.compile(r"(?<=[a-z]{2})our(?=\b|ful|ed\b|ing\b|s\b|less\b)"), "or"),  # tumour, colour, colourful
    (re.compile(r"(?<=[bt])re\b"), "er"),  # fibre, centre
    (re.compile(r"\bdisk"), "disc"),
    (re.compile(r"[\s-]+"), " "),
)


def normalize_spelling(text: str) -> str:
    """Lowercase, British spellings folded to American, separators to one space."""
    out = text.lower().strip()
    for pattern, repl in _SPELLING:
        out = pattern.sub(repl, out)
    return out


_UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_SCALES = {"hundred": 100, "thousand": 1000}
_NUMBER_WORD = "|".join([*_UNITS, *_TENS, *_SCALES, "oh", "point", "and"])
_SPOKEN = re.compile(rf"\b(?:{_NUMBER_WORD})(?:[\s-]+(?:{_NUMBER_WORD}))*\b", re.IGNORECASE)
_STEP_FRAME = re.compile(r"\bstep\s+\d+\s*[:.)]", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?:/(\d+(?:\.\d+)?))?(?![\d/])"
)


def numbers(text: str) -> list[str]:
    """Canonical numbers in order: "0 .8", ".80" and "zero point eight" -> "0.8"; "20 / 40" -> "20/40".
    'Step n:' frames are not numbers the answer asserts."""
    text = normalize_numbers(_STEP_FRAME.sub(" ", text))
    return [m.group(0) for m in _NUMBER.finditer(text)]


def normalize_numbers(text: str) -> str:
    """text with spoken numbers as digits and every number in canonical form."""
    text = _SPOKEN.sub(_spoken_to_digits, text)
    text = re.sub(r"(?<=\d)\s*/\s*(?=\d)", "/", text)
    text = re.sub(r"(?<=\d) over (?=\d)", "/", text)
    # ASR spacing: "0 .8", "0 . 8", "0. 8". Not "3. 4", which ends a sentence as often as not.
    text = re.sub(r"(?<![\d.])(\d+)\s+\.\s*(?=\d)", r"\1.", text)
    text = re.sub(r"(?<![\d.])0\.\s+(?=\d)", "0.", text)
    return _NUMBER.sub(_canonical_match, text)


def _canonical_match(m: re.Match[str]) -> str:
    value = _canonical(m.group(1))
    return f"{value}/{_canonical(m.group(2))}" if m.group(2) else value


def _canonical(number: str) -> str:
    number = number.replace(",", "")
    if "." in number:
        whole, frac = number.split(".")
        frac = frac.rstrip("0")
        whole = whole.lstrip("0") or "0"
        return f"{whole}.{frac}" if frac else whole
    return number.lstrip("0") or "0"


def _spoken_to_digits(m: re.Match[str]) -> str:
    words = [w.lower() for w in re.split(r"[\s-]+", m.group(0))]
    # Trim connectives at the edges: "and", "point", "oh" only mean something inside a number.
    lead = ""
    while words and words[0] in ("and", "point", "oh"):
        lead += words.pop(0) + " "
    trail = ""
    while words and words[-1] in ("and", "point"):
        trail = " " + words.pop() + trail
    # A lone "one" is a pronoun far more often than a count ("the inferior one").
    if not words or words == ["one"] or words == ["oh"]:
        return m.group(0)
    return lead + _words_to_number(words) + trail


def _words_to_number(words: list[str]) -> str:
    parts: list[str] = []
    total = current = 0
    seen = False
    decimals: list[str] | None = None
    for word in words:
        if decimals is not None:
            if word in _UNITS and _UNITS[word] < 10 or word == "oh":
                decimals.append(str(_UNITS.get(word, 0)))
                continue
            parts.append(_join(total + current, seen, decimals))
            total = current = 0
            seen, decimals = False, None
        if word == "point":
            decimals = []
        elif word == "and":
            continue
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] == 1000:
                total, current = total + current, 0
            seen = True
        elif word in _TENS or word in _UNITS:
            value = _TENS.get(word, _UNITS.get(word, 0))
            # "twenty forty" or "six six" are two numbers, not one.
            if seen and current % 100 != 0 and (word in _TENS or current % 10 != 0 or value >= 10):
                parts.append(str(total + current))
                total = current = 0
            current += value
            seen = True
    parts.append(_join(total + current, seen, decimals))
    return " ".join(p for p in parts if p)


def _join(whole: int, seen: bool, decimals: list[str] | None) -> str:
    if decimals:
        return f"{whole if seen else 0}.{''.join(decimals)}"
    return str(whole) if seen else ""
