"""Proper nouns that look like people's names but are not patients: eponyms, products, places (data files)."""

from __future__ import annotations

import re
from functools import cache

from ophin.domains.pack import current

KINDS = ("eponyms", "products", "places")
_SEPARATORS = re.compile(r"[\s\-‐‑–]+")


def phrase_key(text: str) -> str:
    """The form phrases are compared in: casefolded, hyphens and runs of spaces as one space,
    a trailing possessive dropped ("Vogt-Koyanagi-Harada's" = "vogt koyanagi harada")."""
    text = re.sub(r"['’]s?$", "", text.strip())
    return _SEPARATORS.sub(" ", text).casefold()


@cache
def not_people(kind: str | None = None) -> frozenset[str]:
    """The phrase keys of one kind (all kinds when None), from the domain pack's not_people/<kind>.txt;
    blank lines and `#` comments skipped."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; valid: {', '.join(KINDS)}")
    out: set[str] = set()
    for name in (kind,) if kind else KINDS:
        out.update(phrase_key(line) for line in current().lines("not_people", f"{name}.txt"))
    return frozenset(out)
