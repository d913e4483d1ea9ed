"""A released record as the measures see it (plain data, no database), and the text helpers they share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from eval.quality.truth import Scene
from eval.quality.vocab import fold


@dataclass
class Rec:
    id: str
    kind: str  # vqa | conversation | cot
    turns: list[dict[str, Any]]  # [{"role": "human"|"gpt", "text": ...}]
    image: str  # the frame it shows
    scene: Scene
    modality: str | None = None  # as the engine stored it on the frame
    window: tuple[float, float] | None = None  # the narration window it was made from
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def answers(self) -> str:
        return " ".join(t["text"] for t in self.turns if t["role"] == "gpt")

    @property
    def questions(self) -> list[str]:
        return [t["text"] for t in self.turns if t["role"] == "human"]

    @property
    def text(self) -> str:
        return " ".join(t["text"] for t in self.turns)


@dataclass
class Measured:
    """A figure, what it was computed over, and what a reader should look at."""

    value: float | None
    hits: int = 0
    total: int = 0
    problems: list[str] = field(default_factory=list)


def share(hits: int, total: int, problems: list[str] | None = None) -> Measured:
    return Measured(round(hits / total, 4) if total else None, hits, total, problems or [])


# "Step 2:", "3)", and a one-word label ("Conclusion:", "Observation:") are structure, not a claim.
_STEP = re.compile(r"^\s*(?:step\s*\d+\s*[:.)-]|\d+\s*[.)])?\s*(?:[A-Za-z]+\s*:)?\s*", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    """Sentences of an answer, numbering and "Step n:"/"Conclusion:" marks removed."""
    out = []
    for line in text.splitlines():
        for part in re.split(r"(?<=[.!?])\s+", line):
            part = _STEP.sub("", part).strip()
            if re.search(r"[A-Za-z]", part):
                out.append(part)
    return out


_STOP = frozenset(
    "a an the and or but of to in on at by for with from into onto over under as is are was were be been "
    "being "
    "this that these those it its it's there here which who whom whose what when where why how than then so "
    "very also some any each both all more most much many few other such no not nor can may might could "
    "would "
    "should will shall do does did has have had having if while about around across along near within "
    "between "
    "seen see shows show showing shown image images picture view visible appears appear appearance noted "
    "note "
    "present presence finding findings feature features demonstrates demonstrate reveals reveal displays "
    "display observe observed evident one two three key main overall area region part".split()
)


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    return [stem(w) for w in re.findall(r"[a-z][a-z'-]*[a-z]|[a-z]", fold(text)) if w not in _STOP]
