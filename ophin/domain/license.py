"""The open-access gate: licence evidence from metadata, normalised to SPDX-style ids, judged by a policy."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ophin.domain.text import plain_text

# Most authoritative first: the platform's own API, then its metadata as yt-dlp reads it, then what a
# publisher's feed or page says, and last what the media container claims.
ORIGINS = ("youtube-data-api", "yt-dlp", "feed", "page", "container")
FAMILIES = (
    "CC0",
    "PDM",
    "CC-BY",
    "CC-BY-SA",
    "CC-BY-NC",
    "CC-BY-NC-SA",
    "CC-BY-ND",
    "CC-BY-NC-ND",
    "YouTube-Standard",
    "All-Rights-Reserved",
)
# Licences under which derivatives (clips, frames, instructions) may be redistributed, commercial use
# included: NC rules out commercial training sets, ND rules out derivatives.
REDISTRIBUTABLE = frozenset({"CC0", "PDM", "CC-BY", "CC-BY-SA"})

_VERSION = r"(?:v(?:ersion)?\s*)?(\d(?:\.\d)?)(?![\d.]*\d)"
_CC_URL = re.compile(
    r"creativecommons\.org/(?:licen[cs]es/([a-z-]+)(?:/(\d(?:\.\d)?))?|publicdomain/(zero|mark)(?:/(\d\.\d))?)",
    re.IGNORECASE,
)
# "CC BY-NC-SA 4.0", "CC-BY-SA-4.0", "cc by 4", "CC BY-NC-ND/4.0".
_CC_SHORT = re.compile(rf"\bcc[\s_-]*(by(?:[\s_-]*(?:nc|nd|sa)\b)*)(?:[\s_/-]*{_VERSION})?", re.IGNORECASE)
_SEP = r"[\s_-]*"
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
_PUBLIC_DOMAIN = re.compile(r"\bpublic[\s-]+domain\b", re.IGNORECASE)
_CC_WORDS = re.compile(r"creative\s*commons|\bcc[\s_-]*(?:by|0|zero|licen[cs]e)\b", re.IGNORECASE)
_DASHES = re.compile("[\u2010-\u2015\u2212]")
_RESERVED = re.compile(r"all\s+rights\s+reserved|©|\(c\)|\bcopyright\b", re.IGNORECASE)
# YouTube's two licences as the Data API (status.license) and yt-dlp (info["license"]) spell them.
_YOUTUBE = {
    "creativecommon": "CC-BY-3.0",
    "creative commons attribution license (reuse allowed)": "CC-BY-3.0",
    "youtube": "YouTube-Standard",
    "standard youtube license": "YouTube-Standard",
    "standard youtube licence": "YouTube-Standard",
}
_FAMILY_VERSION = re.compile(r"^(.*?)-(\d(?:\.\d)?)$")


@dataclass(frozen=True)
class LicenseEvidence:
    """One statement about a video's licence: what it says, in which field, read from where."""

    value: str
    field: str
    origin: str
    url: str | None = None

    def __post_init__(self) -> None:
        if self.origin not in ORIGINS:
            raise ValueError(f"licence evidence origin {self.origin!r}: expected one of {', '.join(ORIGINS)}")
        # Values come from untrusted pages and feeds: stored as plain, bounded, single-line text.
        object.__setattr__(self, "value", plain_text(self.value, 300) or "")

    @property
    def source(self) -> str:
        return f"{self.origin} {self.field}"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def normalise_license(text: str) -> str | None:
    """An SPDX-style id ("CC-BY-4.0", "CC0-1.0", "YouTube-Standard", ...) for a licence statement, else None.

    Jurisdiction ports (/by/3.0/us/) map to their generic licence; a missing version gives the family alone.
    """
    raw = str(text or "")
    plain = _DASHES.sub("-", plain_text(raw, 2000) or "")
    # A CC URL is the most precise statement; it may sit in an href that stripping the markup would drop.
    url = _CC_URL.search(raw) or _CC_URL.search(plain)
    if url:
        return _from_cc_url(url)
    if not plain:
        return None
    youtube = _YOUTUBE.get(" ".join(plain.lower().split()).rstrip("."))
    if youtube:
        return youtube
    if _CC0.search(plain):
        return "CC0-1.0"
    short = _CC_SHORT.search(plain)
    if short:
        return _cc_id(re.findall(r"nc|nd|sa", short.group(1).lower()), short.group(2))
    long = _CC_LONG.search(plain)
    if long and (re.search(r"creative\s*commons", plain, re.IGNORECASE) or long.group(1) or long.group(2)):
        elements = re.findall(r"non|no|share", re.sub(r"[\s_-]", "", long.group(1).lower()))
        tags = [{"non": "nc", "no": "nd", "share": "sa"}[e] for e in elements]
        return _cc_id(tags, long.group(2))
    if _PUBLIC_DOMAIN.search(plain):
        return "PDM-1.0"
    if _CC_WORDS.search(plain):
        return None  # a CC statement too vague to name a licence ("Creative Commons", "CC licence")
    if _RESERVED.search(plain):
        return "All-Rights-Reserved"
    return None


def _from_cc_url(match: re.Match[str]) -> str | None:
    path, version, domain, domain_version = (g.lower() if g else g for g in match.groups())
    if domain:
        family = "CC0" if domain == "zero" else "PDM"
        return f"{family}-{domain_version or '1.0'}"
    if path == "publicdomain":  # the retired CC Public Domain Certification
        return "PDM"
    parts = path.split("-")
    if parts[0] != "by" or not set(parts[1:]) <= {"nc", "nd", "sa"}:
        return None  # sampling, devnations and other retired licences name nothing in the policy
    return _cc_id(parts[1:], version)


def _cc_id(tags: Sequence[str], version: str | None) -> str | None:
    tags = set(tags)
    if {"nd", "sa"} <= tags:
        return None  # no such licence: share-alike needs derivatives
    family = "CC-BY" + "".join(f"-{t.upper()}" for t in ("nc", "nd", "sa") if t in tags)
    if not version:
        return family
    return f"{family}-{version if '.' in version else version + '.0'}"


def license_family(license_id: str) -> str:
    """The licence without its version: "CC-BY-SA-4.0" -> "CC-BY-SA", "CC0-1.0" -> "CC0"."""
    match = _FAMILY_VERSION.match(license_id)
    return match.group(1) if match else license_id


@dataclass(frozen=True)
class LicensePolicy:
    allowed: frozenset[str] = REDISTRIBUTABLE
    accept_unknown: bool = False

    def __post_init__(self) -> None:
        unknown = sorted(set(self.allowed) - set(FAMILIES))
        if unknown:
            raise ValueError(f"unknown licence families {unknown}: valid families are {', '.join(FAMILIES)}")

    @classmethod
    def from_names(cls, allowed: str, accept_unknown: bool) -> LicensePolicy:
        """Parse "CC-BY, cc-by-sa, CC0" (any case); unknown names raise ValueError."""
        by_lower = {f.lower(): f for f in FAMILIES}
        names = [n.strip() for n in allowed.split(",") if n.strip()]
        unknown = [n for n in names if n.lower() not in by_lower]
        if unknown or not names:
            what = f"unknown licence families {unknown}" if unknown else "no licence families given"
            raise ValueError(f"{what}: valid families are {', '.join(FAMILIES)}")
        return cls(allowed=frozenset(by_lower[n.lower()] for n in names), accept_unknown=accept_unknown)


@dataclass(frozen=True)
class LicenseDecision:
    accepted: bool
    # The licence the most authoritative evidence names (also when conflicting evidence rejected it).
    license: str | None
    reason: str
    evidence: tuple[LicenseEvidence, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "license": self.license,
            "reason": self.reason,
            "evidence": [e.as_json() for e in self.evidence],
        }


def decide(evidence: Sequence[LicenseEvidence], policy: LicensePolicy) -> LicenseDecision:
    """Accept a video only if its recognised licence evidence agrees on one family the policy allows."""
    given = tuple(evidence)
    recognised = [(e, lid) for e in given if (lid := normalise_license(e.value))]
    if not recognised:
        if policy.accept_unknown:
            return LicenseDecision(True, None, "licence unknown; accepted by policy (accept_unknown)", given)
        seen = [f"{e.value!r} ({e.source})" for e in given if e.value]
        reason = "no licence stated" + (f" (unrecognised: {'; '.join(seen)})" if seen else "")
        return LicenseDecision(False, None, reason, given)
    # sorted() is stable: within one origin, the order the evidence was given in decides.
    ranked = sorted(recognised, key=lambda pair: ORIGINS.index(pair[0].origin))
    top, top_id = ranked[0]
    first, first_id = recognised[0]
    for other, other_id in recognised[1:]:
        if license_family(other_id) != license_family(first_id):
            # Sources that disagree about the family mean one is wrong; we cannot tell which, so refuse.
            reason = (
                f"conflicting licence evidence: {first_id} ({first.source}) vs {other_id} ({other.source})"
            )
            return LicenseDecision(False, top_id, reason, given)
    family = license_family(top_id)
    if family not in policy.allowed:
        allowed = ", ".join(sorted(policy.allowed))
        reason = f"{top_id} is not in the licence policy (allowed: {allowed})"
        return LicenseDecision(False, top_id, reason, given)
    why = "allows redistribution of derivatives" if family in REDISTRIBUTABLE else "is allowed by the policy"
    return LicenseDecision(True, top_id, f"{top_id} {why} ({top.source})", given)
