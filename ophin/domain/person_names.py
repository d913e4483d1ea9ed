"""Bare person names in text ("Priya Patel came in with blurred vision"), found with a name resource.

The resource is philter-ucsf's name lists (UCSF's clinical de-identifier: ~97K first names and ~161K
surnames with clinical false positives removed, plus ~195K common and clinical words that are not names).
Its own pipeline needs NLTK models that cannot be fetched offline, so only its lists are read. eval/phi/
holds the measurement that chose it. Eponyms, products and places are domain pack data (not_people/).
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from ophin.domains.pack import current
from ophin.knowledge.not_people import not_people, phrase_key

_LISTS = "filters/blacklists/firstnames_minus_fps.json", "filters/blacklists/lastnames_minus_fps.json"
_WORDS = "filters/whitelists/whitelist_plus_fps_091718_nonames.json"

# A word: letters in any script, with inner apostrophes or hyphens (O'Brien, Smith-Jones, Vogt-Koyanagi).
# Not ophin.text.tokens.HYPHENATED_WORD: a name also takes the Unicode hyphen and its possessive ("Jones'").
_WORD = re.compile(r"[^\W\d_]+(?:['’\-‐][^\W\d_]+)*(?:['’]s\b|(?<=s)['’](?!\w))?")
_POSSESSIVE = re.compile(r"(?:['’]s?)?$")
_GAP = re.compile(r"[ \t]+|\.[ \t]+")  # words of one name: spaces, or the dot after an initial
_PARTICLES = frozenset(
    "van von de da del della der den di du dos das bin binti ibn al el le la ter ten".split()
)
# Particles written capitalised inside a name (Irish Ó Briain, Ní Bhriain; Maori Te Rangi; Welsh ap).
_CAP_PARTICLES = frozenset("ó o ní ui uí te ap".split())
# A lowercase particle joined to a capitalised name by a hyphen or apostrophe: al-Amin, el-Sayed, d'Amico.
_JOINED_PARTICLE = re.compile(r"(?:al|el|ul|ad|ud|as|ash|an|ar|ben|bin|d|l|dell)['’\-‐](?=[^\W\d_])")
# English contractions of "I" and of words ("I'm", "We'll", "Here's"): the apostrophe does not make a name.
_CONTRACTION = re.compile(r"[^\W\d_]+['’](?:m|ll|ve|d|re|t)", re.IGNORECASE)
_MAX_TOKENS = 5
_NP_SPAN = 4  # the longest not-person phrase looked for, in words ("Bausch and Lomb", "Mass Eye and Ear")
# The specialty's words (the pack's phi.json), after the general ones: what a patient has ("Smith's
# fundus"), and what an eponym names ("Goldmann applanation").
_PHI = current().phi
_POSSESSIONS = "".join(f"|{p}" for p in _PHI.possessions)
_TAILS = "".join(f"|{t}" for t in _PHI.eponym_tails)
# What follows a person in narration, and what precedes one; a name needs no title when these say so.
_AFTER = re.compile(
    r"^(?:['’]s?[ \t]+(?:right|left|scans?|images?|photos?|mother|father|wife|husband|son|daughter|family|"
    r"GP|doctor|case|history|chart|notes|records?|appointment|address|"
    rf"birthday|age|results?|follow-up|surgery|operation|symptoms?{_POSSESSIONS})\b"
    r"|[ \t]*,?[ \t]+(?:came|comes|presented|presents|complained|complains|noticed|attended|attends|"
    r"underwent|returned|consented|agreed|told|said|says|asked|walked|arrived|visited|lives|lived|"
    r"developed|reports|reported|declined|refused|still|became|rang|phoned|called|described|showed|"
    r"et[ \t]+al)\b"
    r"|[ \t]*,?[ \t]+(?:was|is|has|had|had[ \t]+been)[ \t]+(?:seen|referred|admitted|diagnosed|treated|"
    r"reviewed|sent|booked|followed|noticed|complained|a[ \t]+\d+|an[ \t]+\d+|\d+[ \t]+years)\b"
    r"|[ \t]*,[ \t]+(?:a|an|aged?)[ \t]+\d+)",
)
_BEFORE = re.compile(
    r"(?i:\b(?:patient|met|meet|saw|see|seeing|treated|examined|referred|case[ \t]+of|this[ \t]+is|"
    r"i'?m|i[ \t]+am|called|named|by|thanks[ \t]+to|thank[ \t]+you|asked|told|reviewed|according[ \t]+to|"
    r"interview(?:ed)?[ \t]+with|in[ \t]+conversation[ \t]+with|featuring|feat\.|ft\.|hosted[ \t]+by|"
    r"speaker(?:[ \t]+today)?[ \t]+is|my[ \t]+name'?s|name[ \t]+is)[ \t]*[:,]?[ \t]+)$"
)
# An eponym or an institution names a disease, sign, instrument or place, whoever it was named after.
_TERM_TAIL = re.compile(
    r"^(?:['’]s?)?[ \t]+(?i:disease|dystrophy|syndrome|sign|reflex|membrane|layer|canal|lens|grid|chart|"
    r"test|spots?|nodules?|ring|lines?|striae|phenomenon|pearls|classification|criteria|law|rule|plaques?|"
    r"bod(?:y|ies)|dots?|flecks?|streaks?|cells?|fib(?:re|er)s?|ulcers?|mano?euvre|maneuver|scale|procedure|"
    r"operation|laser|staging|grading|neuropathy|atrophy|anomaly|degeneration|glands?|ducts?|ligament|"
    r"muscle|capsule|space|zone|formula|equation|implant|valve|shunt|tube|stent|"
    r"hospital|clinic|institute|university|college|centre|center|foundation|school|trust|"
    rf"infirmary|medical|health|trial|study|group|society|lecture|award|prize|medal|fellowship{_TAILS})\b"
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
            known = sum(t.cls in ("first", "last", "initial") for t in group) + sum(
                t.cls == "first-word" and prev.cls == "first" for prev, t in pairwise(group)
            )
            unknown = sum(t.cls == "unknown" for t in group)
            # The possessive is part of the last word; the narration test reads from its apostrophe.
            end -= len(_POSSESSIVE.search(group[-1].text)[0])
            tail = text[end:]
            before = _BEFORE.search(text[max(0, start - 24) : start])
            # A lone two-letter word ("Ya", "Jo", "Li") is an OCR fragment or an abbreviation far more often
            # than a name: a word before it ("by Ya") is not enough, narration after it must place a person.
            if len(group) == 1 and len(_fold(group[0].text)) <= 2:
                before = None
            context = bool(_AFTER.match(tail) or before)
            bare = any(t.cls == "first" for t in group) and known + unknown >= 2 and known >= 1
            # Two or more name words the lists know or do not know, with no common word among them and at
            # least one a listed name or an initial: "Bjørn Håkansson", "Xiaoling Zhou", "W. Parata".
            bare = bare or (
                known >= 1
                and sum(t.cls != "particle" for t in group) >= 2
                and all(t.cls in ("first", "last", "unknown", "initial", "particle") for t in group)
            )
            # Only a bare name may rest on list membership alone; a lone word (or words the lists do not
            # know) needs narration around it, and common words need it too ("Rose", "Mark Brown").
            if bare or (context and any(t.cls != "word" for t in group)):
                spans.append((start, end))
    spans += _surname_first(text, res) + _caseless_names(text, res)
    return sorted(set(spans))


# "Dlamini, Thandiwe": a listed name, a comma, a listed first name (registers, lists, references); many
# surnames are listed as first names too ("Mensah").
_SURNAME_COMMA_FIRST = re.compile(
    r"\b([^\W\d_][^\W\d_'’\-]*(?:['’\-][^\W\d_]+)*),[ \t]+([^\W\d_]+)\b(?!['’\-‐][^\W\d_])"
)


def _surname_first(text: str, res: NameResource) -> list[tuple[int, int]]:
    out = []
    for m in _SURNAME_COMMA_FIRST.finditer(text):
        last, first = m.group(1), m.group(2)
        # Both capitalised alike: "SMITH, JOHN" is a name, "Wong TY, Mitchell" is two authors.
        if not (last[0].isupper() and first[0].isupper()) or last.isupper() != first.isupper():
            continue
        if _TERM_TAIL.match(text[m.end() :]):
            continue
        if (
            _classify(last, text, m.end(1), res, False) in ("last", "first")
            and _classify(first, text, m.end(), res, False) == "first"
        ):
            out.append((m.start(), m.end()))
    return out


# Lowercase ASR transcripts carry no capitals: two words that are not common words, read as a name when
# narration or a self-introduction places a person there ("so this is kofi boateng").
_CASELESS_VERB = re.compile(
    r"[ \t]+(?:had|has|was|is|will|would|could|did|does|went|got|gets|needed|needs)\b"
)
_CASELESS_INTRO = re.compile(
    r"(?:\bi'?m|\bi[ \t]+am|\bmy[ \t]+name[ \t]+is|\bmy[ \t]+name'?s|\bthis[ \t]+is)[ \t]+$"
)


def _caseless_names(text: str, res: NameResource) -> list[tuple[int, int]]:
    if re.search(r"[^\W\d_]", text) is None or any(c.isupper() for c in re.sub(r"\bI\b", "", text)):
        return []
    words = list(_WORD.finditer(text))
    out = []
    for m1, m2 in pairwise(words):
        if not re.fullmatch(r"[ \t]+", text[m1.end() : m2.start()]) or min(len(m1[0]), len(m2[0])) < 2:
            continue
        first, second = _fold(m1[0]), _fold(m2[0])
        if first in res.words or second in res.words or {first, second} & not_people():
            continue
        if phrase_key(f"{m1[0]} {m2[0]}") in not_people() or _TERM_TAIL.match(text[m2.end() :]):
            continue
        # Lowercase Latin and jargon the word list lacks ("pars plana") pass the tests above and may even be
        # listed names; a name needs a listed first name with narration around it (a verb after it counts:
        # ASR text has no commas to lean on), or a self-introduction before it.
        before, after = text[max(0, m1.start() - 24) : m1.start()], text[m2.end() :]
        narrated = _AFTER.match(after) or _CASELESS_VERB.match(after) or _BEFORE.search(before)
        if (first in res.first and narrated) or _CASELESS_INTRO.search(before):
            out.append((m1.start(), m2.end()))
    return out


def _runs(text: str, res: NameResource) -> list[list[_Token]]:
    """Capitalised words joined by spaces (or an initial's dot), with not-person phrases marked."""
    runs: list[list[_Token]] = []
    current: list[_Token] = []
    previous_end = -1
    for m in _WORD.finditer(text):
        word = m.group(0)
        particle = word in _PARTICLES or (word[0].isupper() and word.casefold() in _CAP_PARTICLES)
        joined = _JOINED_PARTICLE.match(word)
        if not (word[0].isupper() or particle or (joined and word[joined.end()].isupper())):
            current = _close(current, runs)
            continue
        adjacent = previous_end >= 0 and _GAP.fullmatch(text[previous_end : m.start()])
        dot_gap = adjacent and "." in text[previous_end : m.start()]
        if not adjacent or (dot_gap and current and current[-1].cls != "initial"):
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
    if _CONTRACTION.fullmatch(word):
        return "word"
    if (joined := _JOINED_PARTICLE.match(word)) and word[joined.end()].isupper():
        return "last"  # al-Amin, el-Sayed, d'Amico
    if len(key) == 1:
        return "initial" if text[end : end + 1] == "." else "word"
    if phrase_key(word) in not_people():
        return "not-person"
    if re.match(r"(?:o|d|mc|mac)['’]", key):  # O'Connor, D'Souza: the lists spell them either way
        bare_key = re.sub(r"['’]", "", key)
        if bare_key in res.last or bare_key in res.first or key.split("'")[-1].split("’")[-1] in res.last:
            return "last"
    parts = key.replace("‐", "-").split("-")
    if len(parts) > 1:  # Smith-Jones: a surname when any part is a name; Jean-Luc, Anne-Marie: a first name
        if (
            parts[0] in res.first
            and parts[0] not in res.words
            and all(p in res.first or p in res.words for p in parts[1:])
        ):
            return "first"
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
        # "Jane Doe MRN": in mixed case, capitals after a capitalised name are an acronym, not a name word.
        while len(group) > 1 and group[-1].text.isupper() and not group[-2].text.isupper():
            group = group[:-1]
        if group and len(group) <= _MAX_TOKENS and group[0].cls != "not-person":
            out.append(group)
    return out


def _wordy_name(current: list[_Token]) -> bool:
    # "Mark Brown": a common word after a first name may be a surname; the context test decides.
    return bool(current) and current[-1].cls in ("first", "first-word")
