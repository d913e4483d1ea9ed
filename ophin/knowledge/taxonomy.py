"""The domain pack's query taxonomy (term lists as data) that seeds video search sources."""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from ophin.domains.pack import current

CATEGORIES = ("conditions", "modalities", "anatomy", "procedures")


@dataclass(frozen=True)
class TaxonomyQuery:
    category: str
    term: str
    query: str


@cache
def load_terms(category: str) -> tuple[str, ...]:
    """The terms of one category in file order; blank lines and `#` comment lines are skipped."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown taxonomy category {category!r}; valid: {', '.join(CATEGORIES)}")
    return current().lines("taxonomy", f"{category}.txt")


def _check_template(template: str) -> None:
    # Formatter.parse sees exactly what str.format would fill; it raises ValueError on unbalanced braces.
    fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    if fields != ["term"]:
        raise ValueError(f"template must contain {{term}} exactly once and no other field, got {template!r}")


def taxonomy_queries(
    categories: Sequence[str] | None = None,
    *,
    template: str | None = None,
    limit: int | None = None,
) -> list[TaxonomyQuery]:
    """Search queries in category order, then file order; `limit` caps the total. template: the domain
    pack's (pack.json query_template) unless given."""
    template = current().manifest.query_template if template is None else template
    _check_template(template)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if isinstance(categories, str):
        raise ValueError("categories must be a sequence of category names, not one string")
    chosen = CATEGORIES if categories is None else tuple(dict.fromkeys(categories))
    terms = [(category, term) for category in chosen for term in load_terms(category)]
    if limit is not None:
        terms = terms[:limit]
    return [TaxonomyQuery(category, term, template.format(term=term)) for category, term in terms]


def counts() -> dict[str, int]:
    """How many terms each category ships."""
    return {category: len(load_terms(category)) for category in CATEGORIES}
