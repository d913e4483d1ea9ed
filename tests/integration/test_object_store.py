"""Both object stores through one Protocol (local directory, S3 via moto); the local one under kill -9."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from minio import Minio

from ophin.adapters.object_store import (
    LocalObjectStore,
    ObjectCorrupt,
    ObjectMissing,
    S3ObjectStore,
    fetch_verified,
)
from ophin.domain.ids import sha256_file


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, s3_endpoint):  # noqa: ANN001, ANN201
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    client = Minio(s3_endpoint, access_key="test", secret_key="testtest", secure=False)
    return S3ObjectStore(client, f"t{uuid.uuid4().hex[:12]}")


def test_object_store_round_trips_and_overwrites(store, tmp_path) -> None:  # noqa: ANN001
    assert not store.exists("videos/a/frames/b.jpg")
    store.put_bytes("videos/a/frames/b.jpg", b"one", "image/jpeg")
    store.put_bytes("videos/a/frames/b.jpg", b"two", "image/jpeg")  # a retry overwrites in place
    assert store.exists("videos/a/frames/b.jpg") and store.get_bytes("videos/a/frames/b.jpg") == b"two"
    src = tmp_path / "src.bin"
    src.write_bytes(b"x" * 10_000)
    store.put_file("media/ab/abc.mp4", src, "video/mp4")
    store.get_file("media/ab/abc.mp4", tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()


def test_object_store_refuses_keys_that_escape(store) -> None:  # noqa: ANN001
    with pytest.raises(ValueError):
        store.put_bytes("../etc/passwd", b"x")


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_get_file_missing_key_raises_object_missing(store, tmp_path) -> None:  # noqa: ANN001
    target = tmp_path / "out" / "back.bin"
    target.parent.mkdir()
    with pytest.raises(ObjectMissing, match="media/no/such.mp4"):
        store.get_file("media/no/such.mp4", target)
    with pytest.raises(ObjectMissing, match="media/no/such.mp4"):
        store.get_bytes("media/no/such.mp4")
    assert list(target.parent.iterdir()) == []  # neither a file at path nor a temp beside it


def test_delete_removes_and_is_idempotent(store) -> None:  # noqa: ANN001
    store.put_bytes("videos/a/frames/b.jpg", b"one", "image/jpeg")
    store.delete("videos/a/frames/b.jpg")
    assert not store.exists("videos/a/frames/b.jpg")
    store.delete("videos/a/frames/b.jpg")  # a retried cleanup must not fail


def test_fetch_verified_returns_intact_object(store, tmp_path) -> None:  # noqa: ANN001
    data = os.urandom(100_000)
    store.put_bytes("media/ab/abc.mp4", data, "video/mp4")
    path = fetch_verified(store, "media/ab/abc.mp4", tmp_path / "abc.mp4", hashlib.sha256(data).hexdigest())
    assert path.read_bytes() == data
    assert _leftovers(tmp_path) == []


def test_fetch_verified_tampered_object_raises_and_leaves_no_file(store, tmp_path) -> None:  # noqa: ANN001
    recorded = hashlib.sha256(b"the upload as acquired").hexdigest()
    store.put_bytes("media/ab/abc.mp4", b"the upload, altered since", "video/mp4")
    out = tmp_path / "out"
    out.mkdir()
    message = f"media/ab/abc.mp4: sha256 [0-9a-f]{{64}} != expected {recorded}"
    with pytest.raises(ObjectCorrupt, match=message):
        fetch_verified(store, "media/ab/abc.mp4", out / "abc.mp4", recorded)
    assert list(out.iterdir()) == []  # neither the bad bytes at path nor a temp beside it


def test_fetch_verified_missing_key_raises_object_missing(store, tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ObjectMissing, match="media/no/such.mp4"):
        fetch_verified(store, "media/no/such.mp4", out / "x.mp4", "0" * 64)
    assert list(out.iterdir()) == []


# A child process runs the real put_file; the parent kills or races it. cwd is the repo root.
_PUT = """
import sys, time
from pathlib import Path
from ophin.adapters.object_store import LocalObjectStore
root, key, src, go = sys.argv[1:5]
store = LocalObjectStore(Path(root))
Path(src + ".ready").touch()
while go != "-" and not Path(go).exists():
    time.sleep(0.001)
store.put_file(key, Path(src))
"""
_REPO = Path(__file__).resolve().parents[2]


def _put_in_child(root: Path, key: str, src: Path, go: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _PUT, str(root), key, str(src), str(go or "-")], cwd=_REPO)


def _sizes(directory: Path, but: str) -> list[int]:
    sizes = []
    for path in directory.iterdir():
        try:
            sizes += [path.stat().st_size] if path.name != but else []
        except FileNotFoundError:  # renamed away between listing and stat
            pass
    return sizes


def _random_file(path: Path, mib: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        for _ in range(mib):
            block = os.urandom(1 << 20)
            digest.update(block)
            fh.write(block)
    return digest.hexdigest()


def test_put_file_killed_mid_copy_leaves_old_or_whole_object(tmp_path) -> None:  # noqa: ANN001
    src = tmp_path / "big.bin"
    size = 300 << 20
    want = _random_file(src, size >> 20)
    caught_mid_copy = 0
    for attempt in range(5):
        root = tmp_path / f"objects{attempt}"
        store = LocalObjectStore(root)
        store.put_bytes("media/ab/big.mp4", b"previous version")
        child = _put_in_child(root, "media/ab/big.mp4", src)
        try:
            while child.poll() is None:
                # Whatever the temp is called, it is the one file in the directory not named like the key.
                if 0 < max(_sizes(root / "media/ab", but="big.mp4"), default=0) < size:
                    child.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.0005)
        finally:
            child.kill()
            child.wait()
        if child.returncode == -signal.SIGKILL:
            caught_mid_copy += 1
        obj = root / "media/ab/big.mp4"
        if obj.stat().st_size == len(b"previous version"):
            assert obj.read_bytes() == b"previous version"
        else:
            assert sha256_file(str(obj)) == want
        if caught_mid_copy >= 2:
            break
    assert caught_mid_copy >= 1, "the copy always finished before the kill: make the file larger"


def test_put_file_two_writers_leave_one_whole_content(tmp_path) -> None:  # noqa: ANN001
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    digests = {_random_file(a, 48), _random_file(b, 48)}
    for attempt in range(3):
        root, go = tmp_path / f"objects{attempt}", tmp_path / f"go{attempt}"
        for src in (a, b):
            Path(f"{src}.ready").unlink(missing_ok=True)
        children = [_put_in_child(root, "media/ab/same.mp4", src, go) for src in (a, b)]
        try:
            # Both children are imported and waiting before either starts copying, so the copies overlap.
            deadline = time.monotonic() + 60
            while not all(Path(f"{s}.ready").exists() for s in (a, b)) and time.monotonic() < deadline:
                time.sleep(0.005)
            go.touch()
            assert [c.wait(timeout=120) for c in children] == [0, 0]
        finally:
            for child in children:
                child.kill()
                child.wait()
        assert sha256_file(str(root / "media/ab/same.mp4")) in digests
        assert _leftovers(root / "media/ab") == []
