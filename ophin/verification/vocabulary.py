"""The words an answer may use: an English word list, the lexicon's words and the domain pack's word list."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path

from ophin.cues.lexicon import TERMS
from ophin.domains.pack import current
from ophin.text import tokens

# Debian's wamerican-large and wbritish-large (SCOWL size 70): inflected forms included ("exudates").
WORD_LISTS = ("/usr/share/dict/american-english-large", "/usr/share/dict/british-english-large")
_MAX_EXPANSIONS = 4000
_SPLIT = re.compile(r"[\s/\-–—_]+")
_EDGE = re.compile(r"^[^\w]+|[^\w]+$")
_ABBREVIATION = re.compile(rf"(?:{tokens.LETTER}\.)+{tokens.LETTER}?")  # "e.g.", "i.e."


class WordListMissingError(RuntimeError):
    """No English word list on this machine: the vocabulary check cannot run, so it must not pass."""


def unknown_words(text: str, word_lists: tuple[str, ...] = WORD_LISTS) -> list[str]:
    """Words of text that are neither English nor known domain terms, lowercased, in order, once each.
    Hyphenated compounds count as their parts; numbers, units with digits and 'e.g.' are skipped.
    Raises WordListMissingError when none of word_lists exists."""
    known = vocabulary(word_lists)
    unknown: dict[str, None] = {}
    for word in words(text):
        if word not in known and not _derived(word, known):
            unknown.setdefault(word, None)
    return list(unknown)


def _derived(word: str, known: frozenset[str]) -> bool:
    # Adverbs of known adjectives ("inferiorly", "temporally") and plurals of short acronyms ("OCTs",
    # "RPEs"): the word lists hold few of either.
    adverb = word.endswith("ly") and len(word) > 5 and word[:-2] in known
    acronym_plural = word.endswith("s") and 3 <= len(word) - 1 <= 4 and word[:-1] in known
    return adverb or acronym_plural


def words(text: str) -> Iterator[str]:
    for chunk in _SPLIT.split(text.replace("’", "'")):
        token = _EDGE.sub("", chunk)
        if not token or any(c.isdigit() for c in token) or _ABBREVIATION.fullmatch(token):
            continue
        for word in tokens.words(token):
            word = word.lower()
            if word.endswith("'s"):
                word = word[:-2]
            if word:
                yield word


@functools.cache
def vocabulary(word_lists: tuple[str, ...] = WORD_LISTS) -> frozenset[str]:
    """English ∪ domain pack ∪ lexicon words, lowercased. Read once per process and set of lists."""
    return english_words(word_lists) | domain_words() | lexicon_words(word_lists)


@functools.cache
def english_words(word_lists: tuple[str, ...] = WORD_LISTS) -> frozenset[str]:
    found = [Path(p) for p in word_lists if Path(p).is_file()]
    if not found:
        listed = ", ".join(word_lists) or "none given"
        raise WordListMissingError(
            f"no English word list ({listed}): apt-get install wamerican-large wbritish-large"
        )
    out: set[str] = set()
    for path in found:
        with path.open(encoding="utf-8", errors="replace") as lines:
            out.update(_possessive(line.strip().lower()) for line in lines)
    out.discard("")
    return frozenset(out)


@functools.cache
def domain_words() -> frozenset[str]:
    """The domain pack's own words (words.txt), lowercased; an entry with a space is no word."""
    return frozenset(w.lower() for w in current().lines("words.txt") if " " not in w)


@functools.cache
def lexicon_words(word_lists: tuple[str, ...] = WORD_LISTS) -> frozenset[str]:
    """Every word some lexicon pattern spells out (its labels too), less the misspellings it tolerates:
    a pattern word one edit away from a known word ("fovee", "haeemorrhage") is a tolerance, not a word."""
    out: set[str] = set()
    for term in TERMS:
        out.update(_possessive(w) for w in tokens.words(term.label.lower()))
        for phrase in _expand(term.pattern.pattern):
            out.update(_possessive(w) for w in tokens.words(phrase.lower()))
    known = english_words(word_lists) | domain_words()
    return frozenset(w for w in out if w and (w in known or len(w) <= 3 or not _near(w, known)))


def _near(word: str, known: frozenset[str]) -> bool:
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = (
        *(a + b[1:] for a, b in splits if b),
        *(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1),
        *(a + c + b[1:] for a, b in splits if b for c in letters),
        *(a + c + b for a, b in splits for c in letters),
    )
    return any(e in known for e in edits if e != word)


def _possessive(word: str) -> str:
    return word[:-2] if word.endswith("'s") else word


def _expand(pattern: str) -> list[str]:
    try:
        import re._parser as sre_parse  # the public re API offers no way to enumerate a pattern
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse  # type: ignore[no-redef]
    try:
        return _seq(list(sre_parse.parse(pattern))) or []
    except Exception:  # an unparseable construct just contributes no words  # noqa: BLE001
        return []


def _seq(items: list) -> list[str] | None:
    out = [""]
    for item in items:
        options = _node(*item)
        if options is None:
            return None
        out = [a + b for a in out for b in options][:_MAX_EXPANSIONS]
    return out


def _node(op: object, arg: object) -> list[str] | None:  # noqa: PLR0911
    name = str(op)
    if name == "LITERAL":
        return [chr(arg)]  # type: ignore[arg-type]
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return [""]
    if name == "SUBPATTERN":
        return _seq(list(arg[-1]))  # type: ignore[index]
    if name == "BRANCH":
        options = [o for alt in arg[1] if (o := _seq(list(alt))) is not None]  # type: ignore[index]
        return [x for o in options for x in o] or None
    if name == "IN":
        return _charset(arg)  # type: ignore[arg-type]
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, sub = arg  # type: ignore[misc]
        body = _seq(list(sub))
        if body is None:
            return [""] if low == 0 else None
        # "[\s-]*" separates words: spelled once, so "cup-to-disc" never yields "cuptodisc".
        counts = range(low, high + 1) if high <= 2 else range(max(low, 1), max(low, 1) + 1)
        return [b * n for n in counts for b in body] if body else [""]
    return None


def _charset(items: list) -> list[str] | None:
    chars: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            chars.append(chr(arg))
        elif name == "CATEGORY" and "SPACE" in str(arg):
            chars.append(" ")
        else:
            return None
    return chars
