"""The figures of `make quality` read back from `python -m eval.quality --json` (one JSON object per corpus
set, printed one after another). Read as plain data: the engine never imports the evaluation."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class QualitySet:
    name: str
    figures: dict[str, float | None]
    passed: dict[str, bool]  # figure -> met its target (figures without a target are absent)
    totals: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def parse_quality(text: str) -> list[QualitySet]:
    """Every JSON object in text (a list of them, or several printed in a row); ValueError when there is
    none or one is not a quality report."""
    decoder, objects, i = json.JSONDecoder(), [], 0
    while (i := _skip_space(text, i)) < len(text):
        value, i = decoder.raw_decode(text, i)
        objects += value if isinstance(value, list) else [value]
    if not objects:
        raise ValueError("no quality figures in the file")
    out = []
    for n, obj in enumerate(objects, 1):
        if not isinstance(obj, dict) or not isinstance(obj.get("figures"), dict):
            raise ValueError(f"object {n} is not a quality report (no 'figures')")
        out.append(
            QualitySet(
                name=str(obj.get("set_name") or f"set {n}"),
                figures={str(k): _number(v) for k, v in obj["figures"].items()},
                passed={str(k): bool(v) for k, v in (obj.get("passed") or {}).items()},
                totals={str(k): v for k, v in (obj.get("totals") or {}).items() if isinstance(v, int)},
                problems=[str(p) for p in obj.get("problems") or []],
            )
        )
    return out


def load_quality(path: Path) -> list[QualitySet]:
    try:
        return parse_quality(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
