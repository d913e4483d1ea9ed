"""One licence statement read: the licences it names (SPDX ids), those it denies, the restrictions it adds."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from ophin.domain.text import plain_text
from ophin.text.negation import is_negated

# Only Creative Commons' own host names its licences: the same path on any other host is no evidence.
CC_HOSTS = frozenset({"creativecommons.org", "www.creativecommons.org"})
SPDX_HOSTS = frozenset({"spdx.org", "www.spdx.org"})
MAX_CHARS = 2000

_DASHES = re.compile("[\u2010-\u2015\u2212]")
_SCRIPTS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# Anything URL-like: with a scheme or a leading //, a bare creativecommons.org path, or a domain and a path.
# Each starts at a word's edge ("alert(1)//creativecommons.org/..." is not a link to it) and leaves closing
# punctuation out ("https://creativecommons.org/licenses/by/4.0/? No." asks and answers).
_URL_TAIL = r"[^\s\"'<>()\[\]]*[^\s\"'<>()\[\]?.,;:!]"
_URL = re.compile(
    rf"(?:\b[a-z][a-z0-9+.-]*:|(?<![^\s\"'=<(\[]))//{_URL_TAIL}"
    rf"|(?<![\w.@/:-])(?:www\.)?creativecommons\.org/(?:{_URL_TAIL})?"
    rf"|(?<![\w.@/:-])[\w-]+(?:\.[\w-]+)*\.[a-z]{{2,}}/(?:{_URL_TAIL})?",
    re.IGNORECASE,
)
_CC_PATH = re.compile(
    r"^/(?:licen[cs]es/([a-z+-]+)(?:/(\d(?:\.\d)?))?|publicdomain/(zero|mark)(?:/(\d\.\d))?)", re.IGNORECASE
)
_SPDX_PATH = re.compile(r"^/licenses/([A-Za-z0-9.+-]+?)(?:\.html|\.json)?/?$")
_VERSION = r"(?:v(?:ersion)?\s*)?(\d(?:\.\d)?)(?![\d.]*\d)"
_SEP = r"[\s_-]*"
# "CC BY-NC-SA 4.0", "CC-BY-SA-4.0", "cc by 4", "CC BY-NC-ND/4.0".
_CC_SHORT = re.compile(rf"\bcc[\s_-]*(by(?:[\s_-]*(?:nc|nd|sa)\b)*)(?:[\s_/-]*{_VERSION})?", re.IGNORECASE)
# "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0", "Attribution-ShareAlike 4.0 International".
_CC_LONG = re.compile(
    rf"\battribution((?:{_SEP}(?:non{_SEP}commercial|no{_SEP}deriv(?:ative)?s?(?:{_SEP}works)?|"
    rf"share{_SEP}alike))*)(?:\s+(?:licen[cs]e|international|unported|generic))?(?:[\s,]*{_VERSION})?",
    re.IGNORECASE,
)
# "Public Domain Dedication" is CC0's title (CC0 1.0 Universal Public Domain Dedication; PeerTube's label).
_CC0 = re.compile(
    r"\bcc[\s-]?(?:0|zero)\b|\bcreative\s+commons\s+zero\b|\bpublic\s+domain\s+dedication\b", re.IGNORECASE
)
_PUBLIC_DOMAIN = re.compile(r"\bpublic[\s-]+domain(?:\s+mark)?(?:\s+1\.0)?\b", re.IGNORECASE)
# Words that speak of an open licence without naming one: they name nothing, but "not ..." denies.
_VAGUE = re.compile(
    r"creative\s*commons?|\bcc[\s_-]*(?:by|0|zero|licen[cs]e)\b|\bopen[\s-]+(?:access|licen[cs]e)",
    re.IGNORECASE,
)
# Any word for a licence: "not licensed", "no licence" deny whatever an href beside them names.
_LICENCE_WORD = re.compile(rf"{_VAGUE.pattern}|\blicen[cs]\w*", re.IGNORECASE)
_NOTICE = re.compile(r"©|\(c\)|\bcopyright\b", re.IGNORECASE)
# YouTube's two licences as the Data API (status.license) and yt-dlp (info["license"]) spell them.
_YOUTUBE_EXACT = {"creativecommon": "CC-BY-3.0", "youtube": "YouTube-Standard"}
_YOUTUBE = re.compile(
    r"(creative commons attribution licen[cs]e \(reuse allowed\))|(standard youtube licen[cs]e)",
    re.IGNORECASE,
)
# "Public domain? No.", "CC BY-SA 3.0 de? No.", "CC BY: no": the statement answers its own question: no.
_ANSWER_NO = re.compile(r"^[^?:.;!\n]{0,40}?[?:]\s*(?:no|false|none)\b(?!\s*[\w-])", re.IGNORECASE)
_NON_BEFORE = re.compile(r"\bnon[\s-]*$", re.IGNORECASE)
_SPDX_TOKEN = re.compile(r"(?<![\w.+-])[A-Za-z][A-Za-z0-9.+-]*[A-Za-z0-9+]")
_EXPRESSION = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9.+() -]{1,200}")
_PORT = re.compile(r"^(CC-BY(?:-NC)?(?:-ND|-SA)?-\d\.\d)-[A-Z]{2,3}$")

NC, ND, RESERVED = "NC", "ND", "reserved"
_NOT = r"(?:do\s+not|don't|may\s+not|must\s+not|cannot|can't|is\s+not|not)\s+"
_REUSE_VERBS = (
    r"(?:re-?use|reproduc\w*|redistribut\w*|re-?upload\w*|cop(?:y|ied|ying)|shar(?:e|ed|ing)|"
    r"download\w*|distribut\w*|republish\w*|rebroadcast\w*)\b"
)
# Restrictions as publishers write them beside (or instead of) a licence name.
_RESTRICTIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (NC, r"\bnon[\s-]*commercial\w*"),
        (NC, r"\bnot\s+(?:for|to\s+be\s+used\s+for)\s+(?:any\s+)?commercial\b"),
        (NC, r"\bno\s+commercial\b"),
        (
            NC,
            r"\bcommercial\s+(?:use|purposes?|reuse)\s+(?:is\s+|are\s+)?(?:strictly\s+)?"
            r"(?:prohibited|forbidden|not\s+(?:allowed|permitted))",
        ),
        (NC, r"\b(?:educational|academic|research|non-?profit|teaching)\s+(?:use|purposes?)\s+only\b"),
        (NC, r"(?<![\w.])nc(?![\w])"),
        (ND, r"\bno[\s-]*deriv\w*"),
        (ND, r"\bnon[\s-]*derivative\w*"),
        (ND, r"\bno\s+(?:modifications?|adaptations?|remix\w*|edits?|alterations?)\b"),
        (ND, rf"\b{_NOT}(?:be\s+)?(?:modif\w*|alter\w*|adapt\w*|remix\w*|edit\w*)\b"),
        (ND, r"(?<![\w.])nd(?![\w])"),
        (RESERVED, r"\ball\s+rights\s+reserved\b"),
        (RESERVED, rf"\bno\s+(?:further\s+)?{_REUSE_VERBS}"),
        (RESERVED, rf"\b{_NOT}(?:for\s+|to\s+be\s+|be\s+)?{_REUSE_VERBS}"),
        (
            RESERVED,
            r"\b(?:re-?use|reproduction|redistribution|copying|re-?upload\w*|distribution|downloading)"
            r"\s+(?:is\s+|are\s+)?(?:strictly\s+)?(?:prohibited|forbidden|not\s+(?:allowed|permitted))",
        ),
        (RESERVED, r"\bwithout\s+(?:the\s+)?(?:prior\s+|express\s+)?(?:written\s+)?permission\b"),
        (RESERVED, r"\bpermission\s+(?:is\s+)?required\b"),
        (RESERVED, r"\b(?:personal|private|internal|home)\s+(?:use|viewing)\s+only\b"),
        (RESERVED, r"\bproprietary\b|\bconfidential\b"),
    )
)


@dataclass(frozen=True)
class LicenseReading:
    """What one statement says: the licence it grants (restrictions folded in: "CC BY, no derivatives" is
    CC-BY-ND), the licences it denies ("NOT CC-BY"), the restrictions it adds, and why it is unclear."""

    license: str | None
    denied: tuple[str, ...] = ()
    restrictions: tuple[str, ...] = ()  # the phrases, as written ("non-commercial", "all rights reserved")
    named: tuple[str, ...] = ()  # every licence it names, when it names more than one (then license is None)
    problem: str | None = None  # a contradiction ("CC-BY-4.0 with 'all rights reserved'")

    @property
    def restricted(self) -> bool:
        """Restricted beyond what a licence id can say: a contradiction, or restrictions and no licence."""
        return self.problem is not None or (self.license is None and bool(self.restrictions))

    @property
    def states_anything(self) -> bool:
        return bool(self.license or self.denied or self.restrictions or self.named)


@dataclass(frozen=True)
class _Mention:
    license: str
    start: int  # in the masked plain text; -1 for a URL only in markup (an href)
    end: int


@cache
def _spdx() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@cache
def _spdx_keys() -> dict[str, str]:
    """Lower-cased SPDX licence key (and alias) -> its key, exceptions left out."""
    return {
        low: symbol.key
        for low, symbol in _spdx().known_symbols_lowercase.items()
        if not getattr(symbol, "is_exception", False)
    }


def spdx_key(token: str) -> str | None:
    return _spdx_keys().get(token.strip().lower())


def read_license(text: object) -> LicenseReading:
    """Read a licence statement from metadata, a feed, a page or a container tag (markup allowed)."""
    raw = _DASHES.sub("-", _SCRIPTS.sub(" ", str(text or "")[: 4 * MAX_CHARS]))
    plain = _DASHES.sub("-", plain_text(raw, MAX_CHARS) or "")
    mentions, masked = _url_mentions(raw, plain)
    restrictions = [(kind, m) for kind, pattern in _RESTRICTIONS for m in pattern.finditer(masked)]
    # The negation scope is read with restriction phrases blanked: "no derivatives, CC BY" denies nothing.
    scoped = masked
    for _, m in restrictions:
        scoped = scoped[: m.start()] + " " * (m.end() - m.start()) + scoped[m.end() :]
    mentions += _name_mentions(masked, [(m.start, m.end) for m in mentions if m.start >= 0])
    denied = [m.license for m in mentions if m.start >= 0 and _denied(scoped, m.start, m.end)]
    taken = [(m.start, m.end) for m in mentions] + [(m.start(), m.end()) for _, m in restrictions]
    denied += [
        " ".join(v.group(0).split())
        for v in _LICENCE_WORD.finditer(masked)
        if not _overlaps(v.start(), v.end(), taken) and _denied(scoped, v.start(), v.end())
    ]
    # Restriction words inside a licence's own name ("CC BY-NC", "Attribution-NoDerivs") are that licence.
    named_spans = [(m.start, m.end) for m in mentions if m.start >= 0]
    restrictions = [(k, m) for k, m in restrictions if not _overlaps(m.start(), m.end(), named_spans)]
    phrases = tuple(dict.fromkeys(" ".join(m.group(0).split()).lower() for _, m in restrictions))
    kinds = {kind for kind, _ in restrictions}
    if denied:
        return LicenseReading(None, tuple(dict.fromkeys(denied)), phrases)
    return _grant(mentions, masked, kinds, phrases)


def _grant(granted: list[_Mention], masked: str, kinds: set[str], phrases: tuple[str, ...]) -> LicenseReading:
    families = list(dict.fromkeys(_family(m.license) for m in granted))
    if len(families) > 1:
        return LicenseReading(None, (), phrases, tuple(dict.fromkeys(m.license for m in granted)))
    if not granted:
        # A bare notice ("© 2021 Eye Hospital") reserves every right the law gives; CC words without a
        # named licence ("Creative Commons") say nothing we can act on.
        if RESERVED in kinds or (_NOTICE.search(masked) and not _VAGUE.search(masked)):
            return LicenseReading("All-Rights-Reserved", (), phrases)
        return LicenseReading(None, (), phrases)
    # The most precise mention: the first with a version (a URL comes first), else the first.
    chosen = next((m.license for m in granted if m.license != _family(m.license)), granted[0].license)
    return _fold(chosen, kinds, phrases)


def _fold(license_id: str, kinds: set[str], phrases: tuple[str, ...]) -> LicenseReading:
    """Apply restriction words to the named licence: NC and ND narrow a CC BY licence; anything that
    narrows a public-domain licence, or reserves rights an open licence grants, is a contradiction."""
    family = _family(license_id)
    if family in ("All-Rights-Reserved", "YouTube-Standard") or not kinds:
        return LicenseReading(license_id, (), phrases)
    open_family = family.startswith("CC-BY") or family in ("CC0", "PDM")
    if not open_family:
        return LicenseReading(license_id, (), phrases)  # GPL-3.0 "non-commercial": not ours to judge
    why = f"{license_id} with {', '.join(repr(p) for p in phrases)}"
    if RESERVED in kinds or not family.startswith("CC-BY"):
        return LicenseReading(None, (), phrases, problem=why)
    tags = {t.lower() for t in family.split("-")[2:]} | {k.lower() for k in kinds & {NC, ND}}
    version = license_id[len(family) + 1 :] or None
    folded = cc_id(sorted(tags), version)
    return LicenseReading(folded, (), phrases, problem=None if folded else why)


def _denied(text: str, start: int, end: int) -> bool:
    return (
        is_negated(text, start, end)
        or bool(_ANSWER_NO.match(text[end:]))
        or bool(_NON_BEFORE.search(text[max(0, start - 8) : start]))
    )


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


def _url_mentions(raw: str, plain: str) -> tuple[list[_Mention], str]:
    """Licences named by URLs on their licensor's host; the plain text comes back with every URL blanked."""
    found: list[_Mention] = []
    masked = plain
    in_plain = set()
    for m in _URL.finditer(plain):
        in_plain.add(m.group(0))
        masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]
        lid = _from_url(m.group(0))
        if lid:
            found.append(_Mention(lid, m.start(), m.end()))
    # An href that stripping the markup dropped: its licence counts, with no words around it to deny it.
    for m in _URL.finditer(html.unescape(raw)):
        lid = _from_url(m.group(0)) if m.group(0) not in in_plain else None
        if lid:
            found.append(_Mention(lid, -1, -1))
    return found, masked


def _from_url(url: str) -> str | None:
    try:
        parts = urlsplit(url if "//" in url else "//" + url)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if parts.scheme.lower() not in ("", "http", "https") or parts.username or parts.password:
        return None
    if host in CC_HOSTS:
        match = _CC_PATH.match(parts.path)
        return _from_cc_path(match) if match else None
    if host in SPDX_HOSTS:
        match = _SPDX_PATH.match(parts.path)
        key = spdx_key(match.group(1)) if match else None
        return engine_id(key) if key else None
    return None


def _from_cc_path(match: re.Match[str]) -> str | None:
    path, version, domain, domain_version = (g.lower() if g else g for g in match.groups())
    if domain:
        family = "CC0" if domain == "zero" else "PDM"
        return f"{family}-{domain_version or '1.0'}"
    if path == "publicdomain":  # the retired CC Public Domain Certification
        return "PDM"
    parts = path.split("-")
    if parts[0] != "by" or not set(parts[1:]) <= {"nc", "nd", "sa"}:
        return None  # sampling, devnations and other retired licences name nothing in the policy
    return cc_id(parts[1:], version)


def _name_mentions(text: str, taken: list[tuple[int, int]]) -> list[_Mention]:
    """Licences named in words, most specific spelling first; a span is read once."""
    found: list[_Mention] = []
    spans = list(taken)

    def add(license_id: str | None, start: int, end: int) -> None:
        if license_id and not _overlaps(start, end, spans):
            found.append(_Mention(license_id, start, end))
            spans.append((start, end))

    stripped = " ".join(text.lower().split()).rstrip(".")
    if stripped in _YOUTUBE_EXACT:
        add(_YOUTUBE_EXACT[stripped], 0, len(text))
    for m in _YOUTUBE.finditer(text):
        add("CC-BY-3.0" if m.group(1) else "YouTube-Standard", m.start(), m.end())
    ids = [(engine_id(key), start, end) for key, start, end in _spdx_mentions(text)]
    # An expression's ids share its span ("CC-BY-4.0 OR MIT"): every one of them is named.
    ids = [(lid, start, end) for lid, start, end in ids if not _overlaps(start, end, spans)]
    found += [_Mention(lid, start, end) for lid, start, end in ids]
    spans += [(start, end) for _, start, end in ids]
    for m in _CC0.finditer(text):
        add("CC0-1.0", m.start(), m.end())
    for m in _CC_SHORT.finditer(text):
        add(cc_id(re.findall(r"nc|nd|sa", m.group(1).lower()), m.group(2)), m.start(), m.end())
    for m in _CC_LONG.finditer(text):
        # "Attribution" alone is a CC licence only beside "Creative Commons" or with elements or a version.
        if re.search(r"creative\s*commons", text, re.IGNORECASE) or m.group(1) or m.group(2):
            elements = re.findall(r"non|no|share", re.sub(r"[\s_-]", "", m.group(1).lower()))
            tags = [{"non": "nc", "no": "nd", "share": "sa"}[e] for e in elements]
            add(cc_id(tags, m.group(2)), m.start(), m.end())
    for m in _PUBLIC_DOMAIN.finditer(text):
        add("PDM-1.0", m.start(), m.end())
    return found


def _spdx_mentions(text: str) -> list[tuple[str, int, int]]:
    """SPDX ids: the whole statement as an SPDX expression ("CC-BY-4.0 OR MIT"), else each id-shaped token
    ("CC-BY-SA-4.0", "GPL-3.0-only"; a bare word such as "Fair" or "MIT" inside a sentence is no id)."""
    whole = text.strip().rstrip(".")
    if _EXPRESSION.fullmatch(whole):
        try:
            expression = _spdx().parse(whole)
            unknown = _spdx().unknown_license_keys(expression) if expression is not None else ["?"]
        except Exception:  # the parser raises IndexError too on odd brackets: not an expression, read prose
            unknown = ["?"]
        if not unknown:
            keys = [spdx_key(k) for k in _spdx().license_keys(expression)]
            start = text.find(whole)
            return [(k, start, start + len(whole)) for k in keys if k]
    return [
        (key, m.start(), m.end())
        for m in _SPDX_TOKEN.finditer(text)
        if re.search(r"[\d-]", m.group(0)) and (key := spdx_key(m.group(0)))
    ]


def engine_id(spdx: str) -> str:
    """The engine's id for an SPDX key: jurisdiction ports of CC licences map to the generic licence
    (CC-BY-3.0-US -> CC-BY-3.0); the public-domain mark keeps the engine's name (CC-PDM-1.0 -> PDM-1.0)."""
    port = _PORT.match(spdx)
    if port:
        return port.group(1)
    return {"CC-PDM-1.0": "PDM-1.0", "CC-PDDC": "PDM"}.get(spdx, spdx)


def cc_id(tags: Sequence[str], version: str | None) -> str | None:
    """A CC BY licence from its elements; None where no such licence exists (BY-ND-SA, BY 5.0)."""
    tags = set(tags)
    if {"nd", "sa"} <= tags:
        return None  # share-alike needs derivatives
    family = "CC-BY" + "".join(f"-{t.upper()}" for t in ("nc", "nd", "sa") if t in tags)
    if not version:
        return family
    license_id = f"{family}-{version if '.' in version else version + '.0'}"
    return license_id if spdx_key(license_id) == license_id else None


_FAMILY_VERSION = re.compile(r"^(.*?)-(\d(?:\.\d)?)$")


def _family(license_id: str) -> str:
    match = _FAMILY_VERSION.match(license_id)
    return match.group(1) if match else license_id
