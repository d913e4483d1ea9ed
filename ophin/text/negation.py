"""The engine's one negation module: whether a sentence denies the words at a span, clause by clause.

Two readings share its parts (the negators, the phrases that only look like denials, the contrast words that
end a clause, the words that deny after their subject):
- is_negated, NegEx-style: "no drusen", "haemorrhages are not seen", "free of fluid". Used by relations,
  synthesis, licence text and cues.
- denies_claim, what verification compares answers by: also "the disc is normal" (CLAIM_DENIALS), and a
  negator's scope closes at a later verb ("no bleeds are seen, drusen are")."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Words that deny what follows them in their clause ("no drusen", "free of fluid"), in both readings.
NEGATORS = (
    "no",
    "not",
    "without",
    "nor",
    "neither",
    "never",
    "absence of",
    "free of",
    "lack of",  # before "lacks?" (CLAIM_DENIALS), so a claim's scope starts after the "of"
    "negative for",
    "rule[sd]? out",
    "cannot",
)
# What an answer's claims also count as a denial of the finding that follows: "unremarkable/normal/healthy
# macula" says the macula shows no finding; "excludes", "lacking", and the auxiliaries' n't.
CLAIM_DENIALS = (
    "absent",
    "excludes?",
    "excluded",
    "none",
    "lacks?",
    "lacking",
    "unremarkable",
    "normal",
    "healthy",
    "(?:is|are|was|were|do|does|did|has|have|had)n['’]t",
    "can['’]t",
)
# Phrases that hold a negator but deny nothing ("not only X but also Y" affirms X), in both readings.
NOT_DENIALS = (
    "not only", "not just", "not necessarily", "no doubt", "no change", "no increase", "no decrease",
)  # fmt: skip
# Contrast words that end a negation's clause in both readings.
CONTRASTS = ("but", "however", "although", "though", "whereas", "while", "yet", "except")
# Words that deny their subject after its verb ("haemorrhages are not seen", "the fluid has resolved").
DENIED_AFTER = ("not", "no longer", "absent", "resolved")


def _any(words: Sequence[str]) -> str:
    return "|".join(words)


# is_negated's reading (NegEx): any word ending in n't negates; "none of", not a bare "none".
_NEGATOR = re.compile(rf"\b(?:{_any(NEGATORS)}|none of|\w+n't)\b", re.IGNORECASE)
# "no change in the drusen": the drusen are there.
_PSEUDO = re.compile(
    rf"\b(?:{_any(NOT_DENIALS)}|cannot be (?:excluded|ruled out))\b",
    re.IGNORECASE,
)
# Where a negation stops (NegEx-style terminators): a new clause or a contrast.
_TERMINATOR = re.compile(
    rf"[;:!?]|\.(?!\d)|\b(?:{_any(CONTRASTS)}|apart from|other than"
    r"|instead)\b|,\s*(?:and\s+)?(?=(?:the|a|an|there|this|these|it|its|which|with)\b)"
    r"|\band\s+(?=(?:the|a|an|there|this|these|it|its)\b)",
    re.IGNORECASE,
)
# "... haemorrhages are not seen", "... fluid has resolved": a negation after the term.
_POST_NEGATION = re.compile(
    r"^\W*(?:[\w'-]+\W+){0,3}?(?:is|are|was|were|has|have|had)\s+(?:been\s+)?"
    rf"(?:{_any(DENIED_AFTER)})\b"
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


# denies_claim's reading: whole words only, an apostrophe counting as part of a word ("no's" is no "no").
_CLAIM_NEGATOR = re.compile(rf"(?<![\w'])(?:{_any(NEGATORS + CLAIM_DENIALS)})(?![\w'])", re.IGNORECASE)
# "cannot be ruled out" leaves the finding possible, which is not a denial.
_CLAIM_NOT_DENIAL = re.compile(
    rf"{_any(NOT_DENIALS)}|(?:cannot|can['’]t|not) (?:be )?(?:ruled out|excluded|rule out|exclude)",
    re.IGNORECASE,
)
# Negators written after their subject, on its first verb: "haemorrhages are not seen", "the optic disc and
# the macula look normal"; never a later verb ("the disc is pale and the macula is normal" keeps the disc).
_FIRST_VERB = re.compile(r"\b(?:is|are|was|were|appears?|looks?|seems?|remains?|has|have)\b", re.IGNORECASE)
_CLAIM_DENIED_AFTER = re.compile(
    r"\s+(?:now\s+|also\s+|still\s+|otherwise\s+|completely\s+|entirely\s+)?"
    rf"(?:{_any(DENIED_AFTER)}|unremarkable|normal|healthy|free|clear|negative|disappeared)\b",
    re.IGNORECASE,
)
_MAX_WORDS_TO_VERB = 12
_HARD_END = re.compile(rf"[.;:!?\n]|\b(?:{_any(CONTRASTS)})\b", re.IGNORECASE)
# Clause edges: a negator's scope never crosses these.
_CLAUSE_END = re.compile(
    rf"[.;:!?\n]|\b(?:{_any(CONTRASTS)}|apart from|instead|unlike)\b"
    r"|,?\s+and\s+(?=(?:the|a|an|there|it|this|these|those|its|their|which)\b)"
    r"|,\s+(?=(?:the|there|it|this|these|those|which|with)\b)",
    re.IGNORECASE,
)
# After a negated term a verb starts a new predicate: "no bleeds are seen, drusen are" does not deny drusen.
_VERB = re.compile(
    r"\b(?:is|are|was|were|has|have|had|shows?|showed|demonstrates?|reveals?|appears?|seems?|contains?)\b",
    re.IGNORECASE,
)


def denies_claim(text: str, start: int, end: int, others: Sequence[tuple[int, int]] = ()) -> bool:
    """True when text denies the term at text[start:end] as an answer's claim: "no drusen", "haemorrhages
    are not seen", and also "a normal macula" or "the disc looks healthy". others: the (start, end) of the
    text's other terms; one between the negator and this term, followed by a verb, ends the negator's scope
    ("no bleeds are seen, drusen are")."""
    clause_start = _clause_start(text, start)
    before = text[clause_start:start]
    spared = [(d.start(), d.end()) for d in _CLAIM_NOT_DENIAL.finditer(before)]
    negators = [n for n in _CLAIM_NEGATOR.finditer(before) if not any(s <= n.start() < e for s, e in spared)]
    if negators:
        scope_start = clause_start + negators[-1].end()
        closed = any(
            scope_start <= o_start < start and _VERB.search(text, o_end, start) is not None
            for o_start, o_end in others
        )
        if not closed:
            return True
    if _FIRST_VERB.search(before):
        return False  # the term is the predicate ("the disc is pale"), not a subject that a later verb denies
    hard_end = _HARD_END.search(text, end)
    window = text[end : hard_end.start() if hard_end else len(text)]
    verb = _FIRST_VERB.search(window)
    if verb is None or len(window[: verb.start()].split()) > _MAX_WORDS_TO_VERB:
        return False
    return _CLAIM_DENIED_AFTER.match(window, verb.end()) is not None


def _clause_start(text: str, pos: int) -> int:
    start = 0
    for m in _CLAUSE_END.finditer(text, 0, pos):
        start = m.end()
    return start
