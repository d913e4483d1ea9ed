"""Bare person names in text ("Priya Patel came in with blurred vision"), found with a name resource.

The resource is philter-ucsf's name lists (UCSF's clinical de-identifier: ~97K first names and ~161K
surnames with clinical false positives removed, plus ~195K common and clinical words that are not names).
Its own pipeline needs NLTK models that cannot be fetched offline, so only its lists are read. eval/phi/
holds the measurement that chose it. Eponyms, products and places are ophin/knowledge/not_people data.
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ophin.knowledge.not_people import not_people, phrase_key

_LISTS = "filters/blacklists/firstnames_minus_fps.json", "filters/blacklists/lastnames_minus_fps.json"
_WORDS = "filters/whitelists/whitelist_plus_fps_091718_nonames.json"

# A word: letters in any script, with inner apostrophes or hyphens (O'Brien, Smith-Jones, Vogt-Koyanagi).
_WORD = re.compile(r"[^\W\d_]+(?:['’\-‐][^\W\d_]+)*(?:['’]s\b|(?<=s)['’](?!\w))?")
_POSSESSIVE = re.compile(r"(?:['’]s?)?$")
_GAP = re.compile(r"[ \t]+|\.[ \t]+")  # words of one name: spaces, or the dot after an initial
_PARTICLES = frozenset(
    "van von de da del della der den di du dos das bin binti ibn al el le la ter ten".split()
)
_MAX_TOKENS = 5
_NP_SPAN = 4  # the longest not-person phrase looked for, in words ("Bausch and Lomb", "Mass Eye and Ear")
# What follows a person in narration, and what precedes one; a name needs no title when these say so.
_AFTER = re.compile(
    r"^(?:['’]s?[ \t]+(?:right|left|eyes?|vision|fundus|retina|scans?|images?|OCT|photos?|mother|father|"
    r"wife|husband|son|daughter|family|GP|doctor|case|history|chart|notes|records?|appointment|address|"
    r"birthday|age|results?|follow-up|surgery|operation|symptoms?)\b"
    r"|[ \t]*,?[ \t]+(?:came|comes|presented|presents|complained|complains|noticed|attended|attends|"
    r"underwent|returned|consented|agreed|told|said|says|asked|walked|arrived|visited|lives|lived|"
    r"et[ \t]+al)\b"
    r"|[ \t]*,?[ \t]+(?:was|is|has|had|had[ \t]+been)[ \t]+(?:seen|referred|admitted|diagnosed|treated|"
    r"reviewed|sent|booked|followed|noticed|complained|a[ \t]+\d+|an[ \t]+\d+|\d+[ \t]+years)\b"
    r"|[ \t]*,[ \t]+(?:a|an|aged?)[ \t]+\d+)",
)
_BEFORE = re.compile(
    r"(?i:\b(?:patient|met|meet|saw|see|seeing|treated|examined|referred|case[ \t]+of|this[ \t]+is|"
    r"i'?m|i[ \t]+am|called|named|by|thanks[ \t]+to|thank[ \t]+you)[ \t]*[:,]?[ \t]+)$"
)
# An eponym or an institution names a disease, sign, instrument or place, whoever it was named after.
_TERM_TAIL = re.compile(
    r"^(?:['’]s?)?[ \t]+(?i:disease|dystrophy|syndrome|sign|reflex|membrane|layer|canal|lens|grid|chart|"
    r"test|spots?|nodules?|ring|lines?|striae|phenomenon|pupil|pearls|classification|criteria|tonometer|"
    r"tonometry|law|rule|retinopathy|macular|vitelliform|corneal|plaques?|bod(?:y|ies)|dots?|flecks?|"
    r"streaks?|cells?|fib(?:re|er)s?|ulcers?|keratitis|mano?euvre|maneuver|scale|procedure|operation|"
    r"laser|staging|grading|uveitis|neuropathy|atrophy|anomaly|degeneration|glands?|ducts?|ligament|"
    r"muscle|capsule|space|zone|formula|equation|perimet(?:er|ry)|applanation|implant|valve|shunt|"
    r"tube|stent|keratoplasty|"
    r"hospital|clinic|institute|university|college|centre|center|foundation|eye|school|trust|"
    r"infirmary|medical|health|trial|study|group|society|lecture|award|prize|medal|fellowship)\b"
)


@dataclass(frozen=True)
class NameResource:
    first: frozenset[str]
    last: frozenset[str]
    words: frozenset[str]  # common and clinical words that are not names


@cache
def name_resource() -> NameResource:
    """philter-ucsf's name and word lists (read from the installed package; no network)."""
    # Located, not imported: the package's __init__ imports NLTK, which only its own pipeline needs.
    spec = importlib.util.find_spec("philter_ucsf")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("philter-ucsf is not installed; its name lists find people's names")
    root = Path(next(iter(spec.submodule_search_locations)))

    def keys(path: str) -> frozenset[str]:
        return frozenset(json.loads((root / path).read_text("utf-8")))

    return NameResource(first=keys(_LISTS[0]), last=keys(_LISTS[1]), words=keys(_WORDS))


def _fold(word: str) -> str:
    word = re.sub(r"['’]s?$", "", word)
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    text: str
    # first | last | unknown | word | first-word (a name and a word: Rose) | initial | particle |
    # not-person (one word of the not_people data) | term (a word of a longer not_people phrase)
    cls: str


def find_person_names(text: str, resource: NameResource | None = None) -> list[tuple[int, int]]:
    """Spans of people's names written without a title: two or more name words led or joined by a first
    name ("Priya Patel", "Nguyen Thi Lan"), or any capitalised non-term that narration places a person in
    ("Tamati Ngata came in", "Rose's right eye"). Eponyms, products and places are never names here."""
    res = resource or name_resource()
    spans: list[tuple[int, int]] = []
    for run in _runs(text, res):
        for group in _groups(run):
            start, end = group[0].start, group[-1].end
            if _TERM_TAIL.match(text[end:]):
                continue
            known = sum(t.cls in ("first", "last", "initial") for t in group)
            unknown = sum(t.cls == "unknown" for t in group)
            # The possessive is part of the last word; the narration test reads from its apostrophe.
            end -= len(_POSSESSIVE.search(group[-1].text)[0])
            tail = text[end:]
            context = bool(_AFTER.match(tail) or _BEFORE.search(text[max(0, start - 24) : start]))
            bare = any(t.cls == "first" for t in group) and known + unknown >= 2 and known >= 1
            # Only a bare name may rest on list membership alone; a lone word (or words the lists do not
            # know) needs narration around it, and common words need it too ("Rose", "Mark Brown").
            if bare or (context and any(t.cls != "word" for t in group)):
                spans.append((start, end))
    return spans


def _runs(text: str, res: NameResource) -> list[list[_Token]]:
    """Capitalised words joined by spaces (or an initial's dot), with not-person phrases marked."""
    runs: list[list[_Token]] = []
    current: list[_Token] = []
    previous_end = -1
    for m in _WORD.finditer(text):
        word = m.group(0)
        particle = word in _PARTICLES
        if not (word[0].isupper() or particle):
            current = _close(current, runs)
            continue
        joined = previous_end >= 0 and _GAP.fullmatch(text[previous_end : m.start()])
        dot_gap = joined and "." in text[previous_end : m.start()]
        if not joined or (dot_gap and current and current[-1].cls != "initial"):
            current = _close(current, runs)
        current.append(_Token(m.start(), m.end(), word, _classify(word, text, m.end(), res, particle)))
        previous_end = m.end()
        if word.endswith(("'s", "’s", "'", "’")):  # a possessive ends a name
            current = _close(current, runs)
            previous_end = -1
    _close(current, runs)
    return [_mark_not_people(run) for run in runs]


def _close(current: list[_Token], runs: list[list[_Token]]) -> list[_Token]:
    while current and current[-1].cls == "particle":
        current.pop()
    if current:
        runs.append(current)
    return []


def _classify(word: str, text: str, end: int, res: NameResource, particle: bool) -> str:
    if particle:
        return "particle"
    key = _fold(word)
    if len(key) == 1:
        return "initial" if text[end : end + 1] == "." else "word"
    if phrase_key(word) in not_people():
        return "not-person"
    if re.match(r"(?:o|d|mc|mac)['’]", key):  # O'Connor, D'Souza: the lists spell them either way
        bare_key = re.sub(r"['’]", "", key)
        if bare_key in res.last or bare_key in res.first or key.split("'")[-1].split("’")[-1] in res.last:
            return "last"
    parts = key.replace("‐", "-").split("-")
    if len(parts) > 1:  # Smith-Jones: a surname when any part is a name
        return "last" if any(p in res.first or p in res.last for p in parts) else "unknown"
    in_word = key in res.words or (word.isupper() and key not in res.first and key not in res.last)
    if key in res.first:
        return "first-word" if in_word else "first"
    if in_word:
        return "word"
    return "last" if key in res.last else "unknown"


def _mark_not_people(run: list[_Token]) -> list[_Token]:
    """Multi-word eponyms, products and places ("Marcus Gunn", "Johns Hopkins") become not-person words."""
    out = list(run)
    i = 0
    while i < len(out):
        for size in range(min(_NP_SPAN, len(out) - i), 1, -1):
            if phrase_key(" ".join(t.text for t in out[i : i + size])) in not_people():
                out[i : i + size] = [_Token(t.start, t.end, t.text, "term") for t in out[i : i + size]]
                i += size - 1
                break
        i += 1
    return out


def _groups(run: list[_Token]) -> list[list[_Token]]:
    """Stretches of a run that could be one person's name: split at not-person words and at plain words
    except a first name that is also a word ("Rose", "Will") leading the stretch."""
    groups: list[list[_Token]] = []
    current: list[_Token] = []
    for token in run:
        if token.cls == "not-person" and _wordy_name(current):
            # "Sarah Jones", "Mark Brown": an eponym word after a first name is that person's surname.
            token = _Token(token.start, token.end, token.text, "last")
        if token.cls in ("not-person", "term") or (token.cls == "word" and not _wordy_name(current)):
            if current:
                groups.append(current)
            current = [token] if token.cls == "word" else []
            continue
        current.append(token)
    if current:
        groups.append(current)
    out = []
    for group in groups:
        while group and group[0].cls in ("particle", "word"):
            group = group[1:]
        while group and group[-1].cls in ("particle",):
            group = group[:-1]
        if group and len(group) <= _MAX_TOKENS and group[0].cls != "not-person":
            out.append(group)
    return out


def _wordy_name(current: list[_Token]) -> bool:
    # "Mark Brown": a common word after a first name may be a surname; the context test decides.
    return bool(current) and current[-1].cls in ("first", "first-word")
