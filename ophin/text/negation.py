"""Negation scope (NegEx-style): whether a sentence denies the words at a span ("no drusen", "haemorrhages
are not seen", "free of fluid"), clause by clause. Used by relations, synthesis, licence text and cues."""

from __future__ import annotations

import re

_NEGATOR = re.compile(
    r"\b(?:no|not|without|nor|neither|never|none of|absence of|free of|lack of|negative for|rule[sd]? out"
    r"|cannot|\w+n't)\b",
    re.IGNORECASE,
)
# Phrases that contain a negator but deny nothing ("no change in the drusen": the drusen are there).
_PSEUDO = re.compile(
    r"\b(?:not only|not just|no change|no increase|no decrease|no doubt|not necessarily"
    r"|cannot be (?:excluded|ruled out))\b",
    re.IGNORECASE,
)
# Where a negation stops (NegEx-style terminators): a new clause or a contrast.
_TERMINATOR = re.compile(
    r"[;:!?]|\.(?!\d)|\b(?:but|however|although|though|whereas|while|yet|except|apart from|other than"
    r"|instead)\b|,\s*(?:and\s+)?(?=(?:the|a|an|there|this|these|it|its|which|with)\b)"
    r"|\band\s+(?=(?:the|a|an|there|this|these|it|its)\b)",
    re.IGNORECASE,
)
# "... haemorrhages are not seen", "... fluid has resolved": a negation after the term.
_POST_NEGATION = re.compile(
    r"^\W*(?:[\w'-]+\W+){0,3}?(?:is|are|was|were|has|have|had)\s+(?:been\s+)?"
    r"(?:not|no longer|absent|resolved)\b"
    r"|^\W*(?:[\w'-]+\W+)?(?:absent|resolved)\b",
    re.IGNORECASE,
)


def is_negated(sentence: str, start: int, end: int | None = None) -> bool:
    """True when the words at sentence[start:end] are denied ("no drusen", "haemorrhages are not seen")."""
    end = start if end is None else end
    clause_start = 0
    for m in _TERMINATOR.finditer(sentence, 0, start):
        clause_start = m.end()
    before = _PSEUDO.sub(" ", sentence[clause_start:start])
    if _NEGATOR.search(before):
        return True
    after = sentence[end:]
    stop = _TERMINATOR.search(after)
    return bool(_POST_NEGATION.search(after[: stop.start()] if stop else after))
