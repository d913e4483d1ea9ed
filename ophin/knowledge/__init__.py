"""Cited domain knowledge (the pack's relations and taxonomy) that synthesis may state beside the cues."""

from __future__ import annotations

from ophin.knowledge.relations import (
    RELATIONS,
    RELATIONS_DIGEST,
    Relation,
    is_negated,
    normal_relations,
    relations_for,
    relations_in,
)

__all__ = [
    "RELATIONS",
    "RELATIONS_DIGEST",
    "Relation",
    "is_negated",
    "normal_relations",
    "relations_for",
    "relations_in",
]
