"""The open-access gate: licence evidence from metadata, normalised to SPDX-style ids, judged by a policy."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ophin.acquisition.license_text import LicenseReading, read_license
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
    """The licence id ("CC-BY-4.0", "CC0-1.0", "YouTube-Standard", ...) a statement grants, restrictions
    folded in ("CC BY, no derivatives" -> "CC-BY-ND"); None when it denies, contradicts or names nothing
    for sure. Jurisdiction ports (/by/3.0/us/) map to their generic licence; no version gives the family."""
    return read_license(text).license


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
    """Accept a video only if its licence evidence agrees on one family the policy allows.

    A statement that denies a licence ("NOT CC-BY", "Public domain? No.") or restricts one beyond what its
    id says ("CC BY, all rights reserved") refuses the video whatever else is said, accept_unknown included.
    """
    given = tuple(evidence)
    read = [(e, read_license(e.value)) for e in given]
    refusal = _refusal(read)
    if refusal:
        return LicenseDecision(False, None, refusal, given)
    recognised = [(e, r.license) for e, r in read if r.license]
    unclear = [(e, r) for e, r in read if r.named and not r.license]
    if not recognised:
        if policy.accept_unknown:
            return LicenseDecision(True, None, "licence unknown; accepted by policy (accept_unknown)", given)
        seen = [f"{e.value!r} ({e.source})" for e in given if e.value]
        reason = "no licence stated" + (f" (unrecognised: {'; '.join(seen)})" if seen else "")
        if unclear:
            e, r = unclear[0]
            reason = f"licence unclear: {e.value!r} ({e.source}) names {' and '.join(r.named)}"
        return LicenseDecision(False, None, reason, given)
    # sorted() is stable: within one origin, the order the evidence was given in decides.
    ranked = sorted(recognised, key=lambda pair: ORIGINS.index(pair[0].origin))
    top, top_id = ranked[0]
    first, first_id = recognised[0]
    others = recognised[1:] + [(e, "/".join(r.named)) for e, r in unclear]
    for other, other_id in others:
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


def _refusal(read: Sequence[tuple[LicenseEvidence, LicenseReading]]) -> str | None:
    """Why a denial or a restriction among the statements refuses the video, else None."""
    for e, r in read:
        if r.denied:
            return f"licence denied: {e.value!r} ({e.source}) says not {' / '.join(r.denied)}"
    for e, r in read:
        if r.restricted:
            what = r.problem or ", ".join(repr(p) for p in r.restrictions)
            return f"licence restricted: {e.value!r} ({e.source}): {what}"
    return None
