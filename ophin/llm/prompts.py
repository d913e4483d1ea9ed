"""Prompt templates ship as package data (`<package>/prompts/<name>.txt`): a checkout and a wheel find them
the same way. A template's digest goes into what names a model's output: editing one re-runs what it made."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from string import Template


@cache
def load_prompt(package: str, name: str) -> Template:
    """Render with substitute(), not safe_substitute(): a missing placeholder fails at first use."""
    path = resources.files(package).joinpath("prompts", f"{name}.txt")
    return Template(path.read_text(encoding="utf-8"))


def digest(*templates: Template, length: int = 12) -> str:
    return hashlib.sha256("".join(t.template for t in templates).encode()).hexdigest()[:length]
