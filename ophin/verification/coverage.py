"""Which findings an image's narration names and which of them its records carry: the coverage gate's and
the release cap's one reading of "a finding" (lexicon finding labels, affirmed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ophin.verification.claims import polar_mentions


def findings_in(texts: Iterable[str]) -> set[str]:
    """Lexicon finding labels the texts affirm ("no haemorrhage" names none)."""
    return {m.label for t in texts for m in polar_mentions(t) if m.kind == "finding" and not m.negated}


def record_findings(turns: Sequence[dict[str, str]] | Sequence[object]) -> set[str]:
    """The findings a record's answers affirm; turns as stored ({"role", "text"}) or Turn objects."""
    texts = []
    for t in turns:
        role = t["role"] if isinstance(t, dict) else getattr(t, "role", "")
        text = t["text"] if isinstance(t, dict) else getattr(t, "text", "")
        if role == "gpt":
            texts.append(text)
    return findings_in(texts)


def lost_findings(narrated: set[str], records: Iterable[set[str]]) -> list[str]:
    """Narrated findings that no record carries, sorted."""
    carried: set[str] = set().union(*records) if records else set()
    return sorted(narrated - carried)
