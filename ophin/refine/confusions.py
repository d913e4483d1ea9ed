"""The lexicon refiner's data, from the domain pack's refiner.json: known mis-hearings of the specialty's
terms, guarded in-context confusions, and the nouns and units its rules need.

Editing refiner.json changes LexiconRefiner.version (these tables' repr is part of it), so refined text is
recomputed."""

from __future__ import annotations

from ophin.domains.pack import ContextRule, Misheard, current

_DATA = current().refiner
# Nouns after which a mis-heard word was the adjective ("the maculars oedema" -> "the macular oedema").
HEAD_NOUNS = frozenset(_DATA.head_nouns)
# Units a number is hyphenated to ("3 -month" -> "3-month"): any talk's, then the specialty's own.
UNITS = frozenset(
    "year years month months week weeks day days hour hours minute minutes fold degree degrees mm".split()
) | frozenset(_DATA.units)
# A heard regex whose group `w`, or whole match, becomes `said`, only when a domain cue is present outside it.
MISHEARD: tuple[Misheard, ...] = tuple(_DATA.misheard)
# A real English word that is a mis-hearing only in a sentence of the specialty (needs / vetoes).
CONTEXT_RULES: tuple[ContextRule, ...] = tuple(_DATA.context_rules)

__all__ = ["CONTEXT_RULES", "HEAD_NOUNS", "MISHEARD", "UNITS", "ContextRule", "Misheard"]
