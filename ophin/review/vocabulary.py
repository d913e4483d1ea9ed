"""What a review label may say: the three verdicts, the fixed reason tags, and where a label came from."""

from __future__ import annotations

from collections.abc import Iterable

from ophin.db.review_models import SOURCES, TAGS, VERDICTS

__all__ = ["SOURCES", "TAGS", "TAG_HINTS", "VERDICTS", "LabelError", "check_tags", "check_verdict"]

TAG_HINTS = {
    "misheard_term": "a term the speech recognition misheard",
    "wrong_modality": "the image is not the modality the record says",
    "not_visible": "the answer describes something the image does not show",
    "invented": "a finding or diagnosis the narration does not state",
    "phi": "protected health information (a name, date, record number, face)",
    "artefact": "a slide artefact, blur, bad crop or unreadable image",
    "duplicate": "the same record, near enough, appears elsewhere",
    "other": "another problem: say it in the correction",
}


class LabelError(ValueError):
    """A label that cannot be recorded: an unknown verdict, tag or instruction."""


def check_verdict(verdict: str) -> str:
    value = verdict.strip().lower()
    if value not in VERDICTS:
        raise LabelError(f"unknown verdict {verdict!r}: use one of {', '.join(VERDICTS)}")
    return value


def check_tags(tags: Iterable[str]) -> list[str]:
    """The tags, de-duplicated, in the fixed order; LabelError naming the first unknown one."""
    given = {t.strip().lower() for t in tags if t.strip()}
    unknown = sorted(given - set(TAGS))
    if unknown:
        raise LabelError(f"unknown tag {unknown[0]!r}: use any of {', '.join(TAGS)}")
    return [t for t in TAGS if t in given]
