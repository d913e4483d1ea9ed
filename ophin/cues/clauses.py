"""Undo ASR run-ons: Whisper often joins two spoken sentences with a comma, mixing a visual clause with a
non-visual one; split there so each is scored on its own."""

from __future__ import annotations

import re

# A comma followed by a word that usually opens a new main clause in lecture narration.
_OPENERS = (
    "there|these|this|those|that|such|she|he|it|they|we|i|you|her|his|its|their|our|the|a|an|here|now|"
    "notice|note|look|treatment|patients|patient"
)
_BOUNDARY = re.compile(rf",\s+(?=(?:{_OPENERS})\b)", re.IGNORECASE)
MIN_WORDS = 5  # shorter pieces are list items or lead-ins ("in this fundus photograph,"): keep attached


def split_clauses(sentence: str) -> list[str]:
    pieces = [p.strip() for p in _BOUNDARY.split(sentence) if p.strip()]
    merged: list[str] = []
    for piece in pieces:
        if merged and (len(piece.split()) < MIN_WORDS or len(merged[-1].split()) < MIN_WORDS):
            merged[-1] = f"{merged[-1]}, {piece}"
        else:
            merged.append(piece)
    return [_close(p) for p in merged]


def _close(clause: str) -> str:
    clause = clause.rstrip(" ,;")
    clause = clause[:1].upper() + clause[1:]
    return clause if clause.endswith((".", "?", "!")) else clause + "."
