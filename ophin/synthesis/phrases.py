"""Clauses of a run-on cue and noun phrases taken whole from a cue: the words a record restates."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ophin.text.tokens import HYPHENATED_WORD, NUMBER

# ASR without full stops joins sentences with commas: ", these bumps are drusen". A comma followed by a new
# subject (a determiner, a pronoun, "there", "number N") and a verb within a few words starts a new clause;
# "a normal macula, with a smooth dip" (no subject of its own) does not.
_SUBJECT = (
    r"(?:and\s+)?(?:the|a|an|these|this|those|there|it|its|they|their|all|number\s+\w+|(?!and\b)[a-z-]+)"
)
_FINITE = (
    r"(?:is|are|was|were|has|have|had|can|could|will|would|become|becomes|points?|shows?|lifts?|marks?"
    r"|sits?|lies|lines?|follows?|fills?|surrounds?|distorts?|appears?|looks?|means?|indicates?|suggests?)"
)
_CLAUSE_BREAK = re.compile(rf",\s+(?={_SUBJECT}(?:\s+[\w'-]+){{0,4}}?\s+{_FINITE}\b)", re.IGNORECASE)
# A clause that opens with one of these refers back to the clause before it ("these bumps are drusen").
# "In this fundus photograph, the disc is pale": an opening adverbial belongs to the clause after it.
_LEAD = re.compile(
    r"^(?:in|on|at|for|from|with|as|when|if|after|before|compared|zooming|looking|moving)\b", re.IGNORECASE
)
_ANAPHOR = re.compile(r"^(?:and\s+)?(?:these|this|those|they|it|its|their|such)\b", re.IGNORECASE)

_DETERMINERS = frozenset(
    "a an the these those this its their some several multiple many few one two three four".split()
)
_PREPOSITIONS = frozenset(
    "of at in around within above below near along on under beneath over across from inside".split()
)
# Words a noun phrase never runs through: verbs, conjunctions, pronouns, other function words.
_STOPS = frozenset(
    (
        "and or but nor so that which who whom whose where when while as than then if because with without "
        "to into onto by for is are was were be been being has have had do does did can could will would "
        "should may might must shall there here it they them he she we you i his her our your my not no "
        "become becomes became point points lift lifts mark marks sit sits lie lies line lines follow "
        "follows fill fills surround surrounds distort distorts appear appears look looks show shows seen "
        "see mean means indicate indicates suggest suggests stand stands like also very only just"
    ).split()
)
_WORD = re.compile(rf"{HYPHENATED_WORD.pattern}|{NUMBER}")
_MAX_MODIFIERS = 3


def clauses(text: str) -> list[str]:
    """The clauses of a cue sentence, each a sentence of its own (capitalised, ending with a period); a
    clause that refers back ("these bumps are drusen") stays joined to the one before it."""
    parts = [p.strip(" ,") for p in _CLAUSE_BREAK.split(text.strip().rstrip(".!?"))]
    merged: list[str] = []
    for i, part in enumerate(p for p in parts if p):
        part = re.sub(r"^and\s+", "", part, flags=re.IGNORECASE)
        if merged and (_ANAPHOR.match(part) or (i == 1 and _LEAD.match(merged[0]))):
            merged[-1] = f"{merged[-1]}, {part[:1].lower()}{part[1:]}"
        else:
            merged.append(part)
    return [p[:1].upper() + p[1:] + "." for p in merged]


def noun_phrase_at(text: str, start: int, end: int, known: frozenset[str] | None = None) -> str:
    """The noun phrase around text[start:end], taken whole: its determiner and modifiers before, the rest
    of a compound noun after, and one prepositional qualifier ("of pigment", "at the disc edge"). A word
    outside `known` (a garbled word) ends the phrase there. Lower-case, as written otherwise."""
    tokens = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
    inside = [i for i, (s, e, _) in enumerate(tokens) if s < end and e > start]
    if not inside:
        return text[start:end].lower()
    first, last = inside[0], inside[-1]

    def content(i: int) -> bool:
        word = tokens[i][2].lower()
        ok = word not in _STOPS and word not in _DETERMINERS and word not in _PREPOSITIONS
        return ok and not word.endswith("ly") and (known is None or word in known or not word.isalpha())

    def gap_ok(i: int, j: int) -> bool:  # no punctuation between two tokens
        return not re.search(r"[,.;:!?()]", text[tokens[i][1] : tokens[j][0]])

    n = 0
    while first > 0 and n < _MAX_MODIFIERS and gap_ok(first - 1, first) and content(first - 1):
        first, n = first - 1, n + 1
    if first > 0 and gap_ok(first - 1, first) and tokens[first - 1][2].lower() in _DETERMINERS:
        first -= 1

    def takes_object(i: int) -> bool:  # "the lens opacity blocks the reflex": a verb, not a compound noun
        return i + 1 < len(tokens) and gap_ok(i, i + 1) and tokens[i + 1][2].lower() in _DETERMINERS

    n = 0
    while (
        last + 1 < len(tokens)
        and n < _MAX_MODIFIERS
        and gap_ok(last, last + 1)
        and content(last + 1)
        and not takes_object(last + 1)
    ):
        last, n = last + 1, n + 1
    last = _qualifier(tokens, last, content, gap_ok)
    return text[tokens[first][0] : tokens[last][1]].lower()


def _qualifier(
    tokens: Sequence[tuple[int, int, str]],
    last: int,
    content: Callable[[int], bool],
    gap_ok: Callable[[int, int], bool],
) -> int:
    """One prepositional phrase after the noun: 'of' + words, or another preposition + a determiner + words
    ("in enlarged" is a mis-heard verb, not a place)."""
    i = last + 1
    if i >= len(tokens) or tokens[i][2].lower() not in _PREPOSITIONS or not gap_ok(last, i):
        return last
    j = i + 1
    if j < len(tokens) and tokens[j][2].lower() in _DETERMINERS and gap_ok(i, j):
        j += 1
    elif tokens[i][2].lower() != "of":
        return last
    words = 0
    while j < len(tokens) and words < _MAX_MODIFIERS and gap_ok(j - 1, j) and content(j):
        j, words = j + 1, words + 1
    return j - 1 if words else last
