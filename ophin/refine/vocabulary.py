"""What counts as a word when refining transcripts: English word lists, the pack's terms, fuzzy lookup."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import combinations
from pathlib import Path

from ophin.cues.lexicon import ANATOMY, DIAGNOSES, FINDINGS, LEXICON_DIGEST, MODALITIES
from ophin.domains.pack import current
from ophin.text.fuzzy import osa_distance

log = logging.getLogger(__name__)

# Debian's wamerican-large / wbritish-large (the Makefile installs them): about 170K words each.
DEFAULT_WORDLISTS: tuple[str, ...] = (
    "/usr/share/dict/american-english-large",
    "/usr/share/dict/british-english-large",
)
# A word as both refiners see it: ASCII letters, one apostrophe. Not ophin.text.tokens.WORD: widening it would
# change what the refiners correct (RULES_VERSION).
WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")

# Combining forms: "hyporeflective" is a real word when "reflective" is, even though no list holds it. The
# general ones, then the specialty's own (the pack's refiner.json: "chorio", "kerato", ...).
PREFIXES: tuple[str, ...] = (
    "intra", "inter", "infra", "supra", "sub", "super", "pre", "post", "peri", "para", "epi", "endo", "exo",
    "extra", "hyper", "hypo", "micro", "macro", "neo", "neuro", "pseudo", "retro", "trans", "juxta", "anti",
    "non", "poly", "photo", "auto", "angio", "electro", "tomo",
    "mid", "semi", "multi", "uni", "bi", "tri", "de", "re", "un", "over", "under", "counter",
    *current().refiner.combining_forms,
)  # fmt: skip
_SUFFIXES: tuple[str, ...] = ("'s", "s'", "es", "s", "ly", "al", "ally")
_VOWELS = frozenset("aeiouy")
# Voiced and unvoiced pairs share a code: ASR confuses them far more often than places of articulation.
_CODES = {"b": "P", "p": "P", "d": "T", "t": "T", "g": "K", "k": "K", "q": "K", "v": "F", "f": "F",
          "z": "S", "s": "S", "j": "J", "l": "L", "r": "R", "m": "M", "n": "N", "x": "KS"}  # fmt: skip


@dataclass(frozen=True)
class EnglishWords:
    words: frozenset[str]
    digest: str  # of the lists' bytes, or "none" when no list was found


@cache
def load_english_words(paths: tuple[str, ...] = DEFAULT_WORDLISTS) -> EnglishWords:
    """Lowercased union of the word lists that exist; an empty set (digest "none") when none does."""
    sha = hashlib.sha256()
    words: set[str] = set()
    found = False
    for path in paths:
        p = Path(path)
        if not p.is_file():
            continue
        found = True
        data = p.read_bytes()
        sha.update(data)
        words.update(line.strip().lower() for line in data.decode("utf-8", "replace").splitlines())
    if not found:
        log.warning("no English word list at %s: the vocabulary rule is off", ", ".join(paths))
        return EnglishWords(frozenset(), "none")
    words.discard("")
    return EnglishWords(frozenset(words), sha.hexdigest()[:8])


def load_terms_file() -> list[str]:
    """The domain pack's term list (terms.txt), lowercased."""
    return [line.lower() for line in current().lines("terms.txt")]


def phonetic_key(text: str) -> str:
    """A Metaphone-like key, deliberately coarse: vowels after the first letter vanish, voicing pairs merge,
    doubled sounds collapse. 'conductival' -> KNTKTFL, 'conjunctival' -> KNJNKTFL."""
    w = "".join(ch for ch in text.lower() if "a" <= ch <= "z")
    for lead, repl in (("kn", "n"), ("gn", "n"), ("pn", "n"), ("ps", "s"), ("pt", "t"), ("wr", "r")):
        if w.startswith(lead):
            w = repl + w[len(lead) :]
            break
    out: list[str] = []
    i = 0
    while i < len(w):
        c, nxt = w[i], w[i + 1 : i + 2]
        step = 1
        if c in _VOWELS:
            code = "A" if i == 0 else ""
        elif c == "c":
            code = "S" if nxt in ("e", "i", "y") else "K"
            step = 2 if nxt in ("h", "k") else 1
        elif c in ("p", "t") and nxt == "h":
            code, step = ("F" if c == "p" else "T"), 2
        elif c == "s" and nxt == "h":
            code, step = "S", 2
        elif c == "g" and nxt == "h":
            code, step = ("K" if i == 0 else ""), 2
        elif c == "g" and nxt in ("e", "i", "y"):
            code = "J"
        elif c == "d" and nxt == "g":
            code, step = "J", 2
        elif c in ("h", "w"):
            code = ""
        else:
            code = _CODES.get(c, "")
        out.append(code)
        i += step
    key = "".join(out)
    return re.sub(r"(.)\1+", r"\1", key)


def expand_pattern(pattern: str, limit: int = 256) -> list[str]:
    """Every string a lexicon pattern matches, for the finite subset the tables use (literals, (?:a|b),
    [ck], '?'); alternatives with unbounded repeats or \\w classes are skipped, lookarounds dropped. A
    placeholder is written as the pack spells it (lexicon.json's placeholder_spellings)."""
    for name, spelling in current().lexicon.placeholder_spellings.items():
        pattern = pattern.replace("{_" + name + "}", spelling)
    try:
        strings, pos = _alternation(pattern, 0, limit)
    except _Unbounded:
        return []
    return sorted(set(strings)) if pos == len(pattern) else []


class _Unbounded(Exception):
    pass


def _alternation(p: str, i: int, limit: int) -> tuple[list[str], int]:
    out: list[str] = []
    while True:
        start = i
        try:
            strings, i = _sequence(p, i, limit)
            out += strings
        except _Unbounded:
            i = _skip_alternative(p, start)  # only this alternative: the others may still be finite
        if i < len(p) and p[i] == "|":
            i += 1
            continue
        return out, i


def _skip_alternative(p: str, i: int, stop_at_bar: bool = True) -> int:
    depth = 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = p.index("]", i + 1) + 1
            continue
        if depth == 0 and (c == ")" or (c == "|" and stop_at_bar)):
            return i
        depth += (c == "(") - (c == ")")
        i += 1
    return i


def _sequence(p: str, i: int, limit: int) -> tuple[list[str], int]:
    acc = [""]
    while i < len(p) and p[i] not in "|)":
        if p.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            i = (
                _skip_alternative(p, i + (4 if p[i + 2] == "<" else 3), stop_at_bar=False) + 1
            )  # lookarounds match no text
            continue
        if p.startswith("(?:", i):
            atom, i = _alternation(p, i + 3, limit)
            i += 1
        elif p[i] == "(":
            atom, i = _alternation(p, i + 1, limit)
            i += 1
        elif p[i] == "[":
            end = p.index("]", i + 1)
            body = p[i + 1 : end].replace("\\", "")
            if "-" in body.strip("-") or body.startswith("^"):
                raise _Unbounded
            atom, i = list(body), end + 1
        elif p[i] == "\\":
            if p[i + 1].isalpha():
                raise _Unbounded
            atom, i = [p[i + 1]], i + 2
        elif p[i] in ".*+{":
            raise _Unbounded
        else:
            atom, i = [p[i]], i + 1
        if i < len(p) and p[i] in "*+":
            raise _Unbounded
        if i < len(p) and p[i] == "?":
            atom, i = ["", *atom], i + 1
        acc = [a + b for a in acc for b in atom]
        if len(acc) > limit:
            raise _Unbounded
    return acc, i


def lexicon_expansions(
    tables: Sequence[Mapping[str, tuple[str, ...]]] = (ANATOMY, FINDINGS, DIAGNOSES, MODALITIES),
) -> list[str]:
    """Labels plus every finite spelling of the scored lexicon tables (lowercase phrases)."""
    out: set[str] = set()
    for table in tables:
        for label, alts in table.items():
            out.add(label.lower())
            for alt in alts:
                out.update(s.lower().strip() for s in expand_pattern(alt))
    return sorted(s for s in out if s)


@dataclass(frozen=True)
class TermMatch:
    term: str  # the vocabulary spelling to write
    distance: int  # character OSA distance between the heard letters and the term's letters
    key_distance: int  # OSA distance between their phonetic keys
    length: int  # max(len(heard letters), len(term letters))


class Vocabulary:
    """English words, known domain terms, and the fuzzy index of terms a mis-hearing may be mapped to."""

    def __init__(self, terms: Iterable[str], english: EnglishWords, known_extra: Iterable[str] = ()) -> None:
        self.english = english
        terms = sorted({t.strip().lower() for t in terms if t.strip()})
        extra = sorted({t.strip().lower() for t in known_extra if t.strip()})
        self.terms: tuple[str, ...] = tuple(terms)
        self.phrases = frozenset(terms) | frozenset(extra)
        self.known = frozenset(w for t in (*terms, *extra) for w in re.split(r"[\s/-]+", t) if w)
        # Non-English domain words are the strong cues: nobody says "peripapillary" off-topic.
        self.jargon = frozenset(w for w in self.known if len(w) >= 5 and w not in english.words)
        # Targets: spellings a heard word may become, with their letters (no spaces) and keys.
        self._targets: dict[str, tuple[str, str]] = {}
        for t in terms:
            letters = re.sub(r"[^a-z]", "", t)
            if len(letters) >= 5 and t.isascii():
                self._targets.setdefault(t, (letters, phonetic_key(letters)))
        self._index: dict[str, list[str]] = {}
        for t, (_, key) in self._targets.items():
            for variant in _deletes(key, 2):
                self._index.setdefault(variant, []).append(t)
        self.digest = hashlib.sha256(
            "\n".join((*terms, "--", *extra, "--", english.digest, LEXICON_DIGEST)).encode()
        ).hexdigest()[:8]
        self.closest = lru_cache(maxsize=4096)(self._closest)

    def is_known(self, word: str) -> bool:
        w = word.lower()
        return w in self.known or any(
            w.endswith(s) and w[: -len(s)] in self.known for s in _SUFFIXES if len(w) > len(s) + 2
        )

    def is_word(self, word: str) -> bool:
        """English, a known term, an inflection of either, or a combining prefix in front of one."""
        w = word.lower().strip("'")
        if not w or w in self.english.words or self.is_known(w) or w in PREFIXES:
            return True
        if any(
            w.endswith(s) and w[: -len(s)] in self.english.words for s in _SUFFIXES if len(w) > len(s) + 2
        ):
            return True
        return any(
            w.startswith(p) and len(w) - len(p) >= 4 and self.is_word(w[len(p) :].lstrip("-"))
            for p in PREFIXES
        )

    def _closest(self, heard: str) -> tuple[TermMatch, ...]:
        """Targets whose key is within two edits of the heard letters' key, best first."""
        letters = re.sub(r"[^a-z]", "", heard.lower())
        key = phonetic_key(letters)
        seen: set[str] = set()
        found: list[TermMatch] = []
        for variant in _deletes(key, 2):
            for t in self._index.get(variant, ()):
                if t in seen:
                    continue
                seen.add(t)
                t_letters, t_key = self._targets[t]
                kd = osa_distance(key, t_key)
                if kd > 2:
                    continue
                d = osa_distance(letters, t_letters)
                found.append(TermMatch(t, d, kd, max(len(letters), len(t_letters))))
        found.sort(key=lambda m: (m.distance / m.length, m.key_distance, m.term))
        return tuple(found)


def _deletes(key: str, depth: int) -> set[str]:
    out = {key}
    for k in range(1, min(depth, len(key) - 1) + 1):
        out.update(
            "".join(ch for i, ch in enumerate(key) if i not in drop)
            for drop in combinations(range(len(key)), k)
        )
    return out
