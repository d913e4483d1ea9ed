"""Both object stores through the same Protocol: local directory and S3 protocol (moto server)."""

from __future__ import annotations

import uuid

import pytest
from minio import Minio

from ophin.adapters.object_store import LocalObjectStore, S3ObjectStore


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
