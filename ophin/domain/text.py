"""Sanitising untrusted text (titles, descriptions, transcripts) before it reaches the database."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: object, max_chars: int = 2000) -> str | None:
    """NFC, no NULs or control characters (Postgres rejects NUL), collapsed runs of blanks, bounded length."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value))
    text = _CONTROL.sub(" ", text)
    text = re.sub(r"[ \t]+", " ", text).strip()
    return text[:max_chars] or None
