"""Reading a release folder back in tests: every LLaVA record across its split files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ophin.release.record import SPLITS


def llava_records(release: Path) -> list[dict[str, Any]]:
    """All records of the release's llava/<split>.json files, train first; [] for an empty release."""
    records: list[dict[str, Any]] = []
    for split in SPLITS:
        path = release / "llava" / f"{split}.json"
        if path.exists():
            records += [r | {"split": split} for r in json.loads(path.read_text())]
    return records


def text_files(release: Path) -> dict[str, str]:
    """Every text file of the release (records, card, manifest, index, dataset_info), by relative path."""
    return {
        p.relative_to(release).as_posix(): p.read_text()
        for p in sorted(release.rglob("*"))
        if p.suffix in (".json", ".jsonl", ".md")
    }
